import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Signals every process of one bubblewrap sandbox (SPEC §5.7, §15). The PTY child is
 * bwrap itself, outside the sandbox; its one child is the sandbox's init (pid 1 of its
 * own PID namespace), and everything the session runs lives in that namespace — also a
 * daemon that left the terminal's session with `setsid`. Graceful signals go to each of
 * those processes (not to bwrap, whose death would SIGKILL them all before they could
 * save anything); SIGKILL goes to the init, and the kernel then kills the whole
 * namespace. Returns false when `pid` is not `bwrap` with a sandbox below it (a test
 * double's pid, or bwrap still starting): its process groups are signalled instead.
 */
export function signalSandbox(bwrap: string, pid: number, signals: readonly NodeJS.Signals[]): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || executableOf(pid) !== bwrap) return false;
  const init = childOf(pid);
  const ns = init === undefined ? undefined : pidNamespace(init);
  if (init === undefined || ns === undefined) return false;
  for (const signal of signals) {
    if (signal === 'SIGKILL') {
      send(init, signal);
      send(pid, signal);
      continue;
    }
    for (const member of membersOf(init, ns)) if (member !== init) send(member, signal);
  }
  return true;
}

/** The first child of `pid` (bwrap has exactly one: the sandbox's init). */
function childOf(pid: number): number | undefined {
  try {
    const listed = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ')[0];
    if (listed) return Number(listed);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan for the parent id below.
  }
  for (const entry of numericEntries()) {
    const stat = procStat(entry);
    if (stat && Number(stat[1]) === pid) return Number(entry);
  }
  return undefined;
}

function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * The processes of the sandbox's PID namespace: the descendants of its init. Inside a PID
 * namespace an orphan (a `setsid` daemon whose parent left) is adopted by that init, so
 * the tree is the whole namespace — walked through `/proc/<pid>/task/<tid>/children`,
 * O(members), not a scan of every process on the machine per session (a shutdown stops
 * them all). Without that file (a kernel without CONFIG_PROC_CHILDREN), /proc is scanned.
 */
function membersOf(init: number, ns: string): number[] {
  const members: number[] = [];
  const queue = [init];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    members.push(pid);
    const children = childrenOf(pid);
    if (children === undefined) return scanNamespace(ns);
    queue.push(...children);
  }
  return members;
}

/** Every child of every thread of `pid`; undefined when /proc cannot tell. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone meanwhile
  }
  const out: number[] = [];
  for (const tid of tasks) {
    let listed: string;
    try {
      listed = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid)) return undefined;
      continue;
    }
    for (const c of listed.trim().split(' ')) if (c) out.push(Number(c));
  }
  return out;
}

function scanNamespace(ns: string): number[] {
  return numericEntries()
    .filter((entry) => pidNamespace(Number(entry)) === ns)
    .map(Number);
}

function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function numericEntries(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

function procStat(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the parenthesised command name: state ppid pgrp session ...
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}
