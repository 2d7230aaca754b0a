import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty, { type IPty } from 'node-pty';
import { CLI, cleanEnv, runCli } from './cli.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI with `input` piped to its stdin (not a TTY) and `env` on top of the
 * test's environment without any OPENDRAY_* variable.
 */
export function runCliWithInput(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, opts.env, opts.timeoutMs, opts.input ?? '');
}

/** A command running on a real pseudo-terminal. */
export interface PtyRun {
  term: IPty;
  /** Everything the terminal showed so far. */
  output(): string;
  /** Resolves once the output (from `from` on) matches; rejects with the output after `timeoutMs`. */
  waitFor(pattern: RegExp | string, opts?: { from?: number; timeoutMs?: number }): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  kill(): void;
}

/** Runs `file args` on a fresh PTY of `cols` × `rows`. */
export function spawnInPty(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cols?: number; rows?: number } = {}): PtyRun {
  const term = pty.spawn(file, args, {
    name: 'xterm-256color',
    cols: opts.cols ?? 80,
    rows: opts.rows ?? 24,
    env: { ...cleanEnv(), ...opts.env } as Record<string, string>,
  });
  let out = '';
  const waiters = new Set<() => void>();
  term.onData((d) => {
    out += d;
    for (const w of waiters) w();
  });
  let done = false;
  const exited = new Promise<number>((resolve) =>
    term.onExit(({ exitCode }) => {
      done = true;
      resolve(exitCode);
    }),
  );
  return {
    term,
    output: () => out,
    exited,
    kill: () => {
      if (!done) term.kill('SIGKILL');
    },
    waitFor(pattern, { from = 0, timeoutMs = 10_000 } = {}) {
      const test = (): boolean => (typeof pattern === 'string' ? out.slice(from).includes(pattern) : pattern.test(out.slice(from)));
      return new Promise((resolve, reject) => {
        if (test()) return resolve();
        const check = (): void => {
          if (!test()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; terminal showed:\n${JSON.stringify(out.slice(from))}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
  };
}

/** Runs the built CLI on a PTY. */
export function spawnCliInPty(args: string[], opts: { env?: NodeJS.ProcessEnv; cols?: number; rows?: number } = {}): PtyRun {
  return spawnInPty(process.execPath, [CLI, ...args], opts);
}

/** A temp dir for a test's XDG_CONFIG_HOME (so no developer login is read or written). */
export async function configHome(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-cli-config-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
