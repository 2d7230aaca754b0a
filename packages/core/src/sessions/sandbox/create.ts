import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { unavailable } from '../../errors.js';
import { findExecutable } from '../providers/which.js';
import { createBwrapSandbox } from './bwrap.js';
import type { SandboxMode, SandboxStatus, SessionSandbox } from './types.js';

/** The fix an operator needs, named wherever the sandbox is missing (SPEC §15). */
export const INSTALL_HINT = 'install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap; Fedora: dnf install bubblewrap)';

const PROBE_TIMEOUT_MS = 5_000;

export interface SandboxSetup {
  sandbox: SessionSandbox;
  status: SandboxStatus;
}

/**
 * Turns `createGateway({ sandbox })` into a backend, probing bubblewrap once: `'bwrap'`
 * must work (else this throws, naming the fix); `'auto'` uses it when it works, else runs
 * operator sessions unsandboxed and refuses integration sessions with 503 naming the fix;
 * `'off'` runs every session unsandboxed, as the operator chose. An embedder's own
 * `SessionSandbox` is used as given.
 */
export async function createSandbox(
  mode: SandboxMode | SessionSandbox,
  options: { hidden: readonly string[]; pathEnv?: string },
): Promise<SandboxSetup> {
  if (typeof mode === 'object') {
    return { sandbox: mode, status: { name: mode.name, isolates: mode.isolates, message: `sessions run in the "${mode.name}" sandbox` } };
  }
  if (mode === 'off') {
    return { sandbox: noSandbox('off'), status: { name: 'off', isolates: false, message: 'session sandbox off (operator choice): sessions run as the gateway user, unisolated' } };
  }
  const found = await probeBwrap(options.pathEnv);
  if ('bwrap' in found) {
    return {
      sandbox: createBwrapSandbox({ bwrap: found.bwrap, hidden: options.hidden }),
      status: { name: 'bwrap', isolates: true, message: `sessions run in a bubblewrap sandbox (${found.bwrap})` },
    };
  }
  const why = `no session sandbox: ${found.reason}`;
  if (mode === 'bwrap') throw new TypeError(`sandbox: "bwrap" was asked for, but ${found.reason}; ${INSTALL_HINT}`);
  const refusal = `${why}; integration sessions are refused until the operator can ${INSTALL_HINT}, or sets sandbox "off" to run them unsandboxed`;
  return {
    sandbox: { ...noSandbox('none'), wrap: async (launch) => {
      if (launch.origin === 'integration') throw unavailable(refusal);
      return { command: launch.command, args: [...launch.args], env: { ...launch.env }, cwd: launch.cwd };
    } },
    status: { name: 'none', isolates: false, message: `${why}; operator sessions run unsandboxed, integration sessions get 503 — ${INSTALL_HINT}, or set sandbox "off"` },
  };
}

function noSandbox(name: string): SessionSandbox {
  return {
    name,
    isolates: false,
    wrap: async (launch) => ({ command: launch.command, args: [...launch.args], env: { ...launch.env }, cwd: launch.cwd }),
  };
}

/** Finds bwrap on PATH and runs the namespaces a session needs once; the reason when it fails. */
export async function probeBwrap(pathEnv?: string): Promise<{ bwrap: string } | { reason: string }> {
  if (process.platform !== 'linux') return { reason: `bubblewrap runs on Linux only (this is ${process.platform})` };
  const found = await findExecutable('bwrap', pathEnv);
  if (!found) return { reason: 'bubblewrap (bwrap) is not installed' };
  // The real path: a sandboxed session is recognised by its process's executable (signal.ts).
  const bwrap = await realpath(found);
  const args = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', 'true'];
  const failure = await new Promise<string | null>((resolve) => {
    execFile(bwrap, args, { timeout: PROBE_TIMEOUT_MS, env: { PATH: '/usr/bin:/bin' } }, (err, _out, stderr) => {
      resolve(err ? (String(stderr).trim().split('\n')[0] || err.message) : null);
    });
  });
  if (failure) return { reason: `${bwrap} does not run here (${failure}; unprivileged user namespaces may be disabled: sysctl kernel.unprivileged_userns_clone=1)` };
  return { bwrap };
}
