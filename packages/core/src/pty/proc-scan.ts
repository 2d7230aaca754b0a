import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** One process as /proc/<pid>/stat tells it. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Session id: the pid of the session leader it descends from, even after that leader died. */
  sid: number;
  /** Start time in clock ticks after boot: tells a reused pid from the original. */
  start: number;
  /** Exited, waiting for its parent to reap it (Z) or being torn down (X): nothing left to stop. */
  dead: boolean;
}

/** Processes grouped by session id. */
export type ProcTable = ReadonlyMap<number, readonly ProcEntry[]>;

const READ_CONCURRENCY = 64;

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseStat(pid: number, stat: string): ProcEntry | undefined {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name: state(0) ppid(1) pgrp(2) session(3) … starttime(19).
  const ppid = Number(f[1]);
  const pgrp = Number(f[2]);
  const sid = Number(f[3]);
  const start = Number(f[19]);
  if (!Number.isInteger(pgrp) || !Number.isInteger(sid)) return undefined;
  const state = f[0] ?? '';
  return { pid, ppid, pgrp, sid, start: Number.isFinite(start) ? start : 0, dead: state === 'Z' || state === 'X' || state === 'x' };
}

/** One process, read synchronously (one small file); undefined when it is gone or not Linux. */
export function readProc(pid: number): ProcEntry | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

let running: Promise<ProcTable> | null = null;
let queued: Promise<ProcTable> | null = null;

/**
 * Every process by session, from one asynchronous pass over /proc. Callers that ask
 * while a pass runs share the next one (their question is about the moment they asked),
 * so stopping 1000 sessions costs a couple of passes, not 1000, and never blocks the event
 * loop. Resolves with an empty table where there is no /proc.
 */
export function scanProcesses(): Promise<ProcTable> {
  if (!running) return (running = startScan());
  const after = running.then(noop, noop);
  queued ??= after.then(() => {
    queued = null;
    return (running ??= startScan());
  });
  return queued;
}

function startScan(): Promise<ProcTable> {
  const scan = runScan();
  scan
    .finally(() => {
      if (running === scan) running = null;
    })
    .catch(noop);
  return scan;
}

const noop = (): void => undefined;

async function runScan(): Promise<ProcTable> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return new Map();
  }
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
  const table = new Map<number, ProcEntry[]>();
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < pids.length) {
      const pid = pids[i++]!;
      let stat: string;
      try {
        stat = await readFile(`/proc/${pid}/stat`, 'latin1');
      } catch {
        continue; // exited meanwhile
      }
      const entry = parseStat(pid, stat);
      if (!entry) continue;
      const list = table.get(entry.sid);
      if (list) list.push(entry);
      else table.set(entry.sid, [entry]);
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
  return table;
}
