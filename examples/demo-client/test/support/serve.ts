import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (`npx tsc -b` first), as an operator runs it. */
export const OPENDRAY_BIN = fileURLToPath(new URL('../../../../packages/cli/bin/opendray.js', import.meta.url));

/** A running `opendray serve` child with its own data dir. */
export interface ServedGateway {
  url: string;
  adminToken: string;
  dataDir: string;
  /** Everything the gateway printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it lingers; removes the data dir. */
  stop(): Promise<void>;
}

/**
 * Starts `opendray serve --port 0 --data-dir <tmp>` with a static admin token and
 * resolves once it printed its "listening on" line.
 */
export async function startOpendray(env: Record<string, string> = {}): Promise<ServedGateway> {
  // The workspace sits beside the data dir: no session may run inside the data dir (SPEC §15).
  const base = await mkdtemp(join(tmpdir(), 'opendray-example-'));
  const dataDir = join(base, 'data');
  const workspace = join(base, 'workspace');
  await mkdir(workspace);
  const adminToken = `example-admin-${process.pid}-${Date.now()}`;
  const child: ChildProcess = spawn(process.execPath, [OPENDRAY_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, OPENDRAY_ADMIN_TOKEN: adminToken, OPENDRAY_WORKSPACE: workspace, OPENDRAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`opendray serve did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`opendray serve exited ${code}:\n${out}`));
    });
  });
  return {
    url,
    adminToken,
    dataDir,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** What a finished child process printed. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` to completion (killed after `timeoutMs`). */
export function runNode(script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
