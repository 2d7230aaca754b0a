import { closeSync, openSync, readFileSync } from 'node:fs';
import { GatewayError, conflict, unavailable } from '../errors.js';

/**
 * The error to answer when a PTY could not be started. node-pty says only "forkpty(3)
 * failed", so the cause is looked up: no descriptor left for this process or the system
 * (503: the gateway's problem, not the caller's), no pseudo-terminal left (503), else the
 * command could not be started (409, as before).
 */
export function spawnFailure(command: string, err: unknown): GatewayError {
  if (outOfDescriptors()) return unavailable('the gateway is out of file descriptors; close sessions or raise its descriptor limit (ulimit -n)');
  if (outOfPtys()) return unavailable('the system has no pseudo-terminal left (kernel.pty.max reached)');
  return conflict(`could not start ${command}: ${err instanceof Error ? err.message : String(err)}`);
}

function outOfDescriptors(): boolean {
  try {
    closeSync(openSync('/dev/null', 'r'));
    // One descriptor was free now; forkpty needs a few more.
    const fds: number[] = [];
    try {
      for (let i = 0; i < 4; i++) fds.push(openSync('/dev/null', 'r'));
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE';
  }
}

function outOfPtys(): boolean {
  try {
    const nr = Number(readFileSync('/proc/sys/kernel/pty/nr', 'utf8'));
    const max = Number(readFileSync('/proc/sys/kernel/pty/max', 'utf8'));
    return Number.isFinite(nr) && Number.isFinite(max) && nr >= max;
  } catch {
    return false;
  }
}
