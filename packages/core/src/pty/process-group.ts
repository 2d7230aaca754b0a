import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { readProc, scanProcesses, type ProcEntry, type ProcTable } from './proc-scan.js';

const NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, num]) => [num, name]));
const HAS_PROC = existsSync('/proc/self/stat');
/** After SIGKILL, how often to look again for what is left (a fork may have raced the kill). */
const KILL_ROUNDS = 5;
const KILL_ROUND_MS = 50;

/** `SIGTERM` for 15; undefined for 0 (no signal) or an unknown number. */
export function signalName(signal: number | undefined): string | undefined {
  return signal ? NAMES.get(signal) : undefined;
}

/** The signal number of a name such as `SIGTERM`. */
export function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[name];
}

/**
 * A PTY child of this process: node-pty makes it a session leader (pgid = sid = pid), and
 * everything it starts — jobs in groups of their own, children that outlive it — keeps
 * that session id. `start` (clock ticks after boot) tells the pid from a later reuse.
 */
export interface SessionLeader {
  pid: number;
  start: number;
}

/**
 * The leader handle of a freshly spawned PTY child, or undefined when `pid` is not a child
 * of this process (a test double's made-up pid: not ours to signal). Without /proc (not
 * Linux) the leader's group is what can be reached.
 */
export function trackChild(pid: number): SessionLeader | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  if (!HAS_PROC) return { pid, start: -1 };
  const entry = readProc(pid);
  return entry && entry.ppid === process.pid ? { pid, start: entry.start } : undefined;
}

/**
 * Stops a session's whole process tree (SPEC §5.7): SIGHUP and SIGTERM to every process
 * group of the session now, and once `exited` (the leader is gone) or the grace is over,
 * SIGKILL to whatever still carries the session id — so a child that ignores SIGTERM and
 * SIGHUP under a shell that exits is gone too, and its terminal is released. Resolves once
 * nothing of the session is left (or after a few SIGKILL rounds). A process that left the
 * session with setsid(2) is out of reach here; the sandbox's PID namespace catches those.
 */
export async function terminateSession(leader: SessionLeader, graceMs: number, exited: Promise<void>): Promise<void> {
  const began = Date.now();
  let leaderGone = false;
  void exited.then(() => (leaderGone = true));
  // The leader itself too: a child stopped right after the fork may not lead its group yet.
  for (const s of ['SIGHUP', 'SIGTERM'] as const) signal(leader.pid, s);
  signalGroup(leader.pid, ['SIGHUP', 'SIGTERM']);
  for (const group of groupsOf(await scanProcesses(), leader)) signalGroup(group, ['SIGHUP', 'SIGTERM']);
  await untilOrAfter(exited, graceMs);
  // Its exit is not reported yet, so its pid is still its own.
  if (!leaderGone) signal(leader.pid, 'SIGKILL');
  // Without /proc only the leader's group is known: it gets the SIGKILL.
  if (leader.start < 0) return signalGroup(leader.pid, ['SIGKILL']);
  await killRest(leader, graceMs - (Date.now() - began));
}

/**
 * After a leader exited by itself: what it left behind in its session gets SIGHUP and
 * SIGTERM, then SIGKILL after the grace, so an ended session holds no process and no PTY.
 */
export async function reapSession(leader: SessionLeader, graceMs: number): Promise<void> {
  const left = membersOf(await scanProcesses(), leader);
  if (left.length === 0) return;
  for (const group of new Set(left.map((m) => m.pgrp))) signalGroup(group, ['SIGHUP', 'SIGTERM']);
  await killRest(leader, graceMs);
}

/** SIGKILL to what is left, after what remains of the grace if anything is left at all. */
async function killRest(leader: SessionLeader, graceLeftMs: number): Promise<void> {
  let left = membersOf(await scanProcesses(), leader);
  if (left.length > 0 && graceLeftMs > 0) {
    await sleep(graceLeftMs);
    left = membersOf(await scanProcesses(), leader);
  }
  for (let round = 0; left.length > 0 && round < KILL_ROUNDS; round++) {
    for (const m of left) {
      signal(-m.pgrp, 'SIGKILL');
      signal(m.pid, 'SIGKILL');
    }
    await sleep(KILL_ROUND_MS);
    left = membersOf(await scanProcesses(), leader);
  }
}

/**
 * The live processes of the leader's session. A pid can be reused once the leader is
 * gone: if another process now has it, only processes older than that one are ours.
 */
function membersOf(table: ProcTable, leader: SessionLeader): ProcEntry[] {
  const all = table.get(leader.pid) ?? [];
  if (leader.start < 0) return [];
  const reuser = all.find((p) => p.pid === leader.pid && p.start !== leader.start);
  return all.filter((p) => !p.dead && p.start >= leader.start && (!reuser || p.start < reuser.start));
}

function groupsOf(table: ProcTable, leader: SessionLeader): Set<number> {
  const groups = new Set(membersOf(table, leader).map((m) => m.pgrp));
  groups.delete(leader.pid); // already signalled
  return groups;
}

function signalGroup(group: number, signals: readonly NodeJS.Signals[]): void {
  for (const s of signals) signal(-group, s);
}

function signal(target: number, s: NodeJS.Signals): void {
  if (target === 0 || target === -1 || target === 1 || target === -process.pid) return;
  try {
    process.kill(target, s);
  } catch {
    // ESRCH: already gone.
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Resolves when `p` does or after `ms`, whichever is first; the timer never outlives it. */
async function untilOrAfter(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
