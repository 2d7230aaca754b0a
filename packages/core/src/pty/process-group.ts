import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';

const NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, num]) => [num, name]));

/** `SIGTERM` for 15; undefined for 0 (no signal) or an unknown number. */
export function signalName(signal: number | undefined): string | undefined {
  return signal ? NAMES.get(signal) : undefined;
}

/** The signal number of a name such as `SIGTERM`. */
export function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[name];
}

/**
 * Sends each of `signals` to every process group of the PTY child's session (SPEC §5.2,
 * §5.7). node-pty makes the child a session leader, so its pgid is its pid; a shell with
 * job control runs each job in a group of its own inside that session, and those groups
 * are found on Linux through /proc. Groups already gone are ignored. Returns false (and
 * signals nothing) when `leaderPid` is not a session leader.
 */
export function signalSession(leaderPid: number, signals: readonly NodeJS.Signals[]): boolean {
  if (!Number.isInteger(leaderPid) || leaderPid <= 1) return false;
  // A pid that is not a session leader is not a node-pty child (e.g. a test double's):
  // its group is not ours to signal.
  const own = procStat(String(leaderPid));
  if (own && Number(own[3]) !== leaderPid) return false;
  const groups = sessionGroups(leaderPid);
  for (const signal of signals) {
    for (const group of groups) {
      try {
        process.kill(-group, signal);
      } catch {
        // ESRCH: the group has already exited.
      }
    }
  }
  return true;
}

/** The process groups of session `sid`: the leader's own, plus any other found in /proc. */
function sessionGroups(sid: number): Set<number> {
  const groups = new Set([sid]);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return groups; // not Linux: the leader's group is what we can reach
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    // Fields after the parenthesised command name: state ppid pgrp session ...
    if (stat && Number(stat[3]) === sid) {
      const pgrp = Number(stat[2]);
      if (pgrp > 1) groups.add(pgrp);
    }
  }
  return groups;
}

function procStat(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may itself contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
