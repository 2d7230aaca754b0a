import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, runCli, startServe, type RunningServe } from './support/cli.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
const cleanup: Array<() => unknown> = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-serve-proc-'));
});
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
  await rm(dir, { recursive: true, force: true });
});

/** Spawns a command and collects its output; `exited` resolves with the exit code. */
function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {}) {
  const child = spawn(file, args, { cwd: opts.cwd, env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const urlIn = (text: string): string | undefined => /listening on (http:\/\/\S+)/.exec(text)?.[1];
const answers = async (url: string): Promise<boolean> => fetch(`${url}/api/v1/health`).then(() => true, () => false);
const killGroup = (child: ChildProcess, signal: NodeJS.Signals): void => void process.kill(-child.pid!, signal);

describe('opendray serve as a process an operator holds', () => {
  it('SIGTERM to the npx PID shuts the gateway down gracefully and npx exits 0', async () => {
    const npx = run('npx', ['opendray', 'serve', '--port', '0', '--data-dir', join(dir, 'data')], { cwd: REPO });
    await waitFor(() => urlIn(npx.out()) !== undefined && /Log in:/.test(npx.out()), 'the gateway to start');
    const url = urlIn(npx.out())!;
    npx.child.kill('SIGTERM');
    expect(await npx.exited).toBe(0);
    expect(npx.out()).toMatch(/SIGTERM, shutting down/);
    expect(await answers(url)).toBe(false);
  });

  it('Ctrl-C (SIGINT to the whole foreground group) exits 0, not 130', async () => {
    const npx = run('npx', ['opendray', 'serve', '--port', '0', '--data-dir', join(dir, 'data')], { cwd: REPO, detached: true });
    await waitFor(() => /Log in:/.test(npx.out()), 'the gateway to start');
    const url = urlIn(npx.out())!;
    killGroup(npx.child, 'SIGINT');
    expect(await npx.exited).toBe(0);
    expect(await answers(url)).toBe(false);
  });

  it('shuts down gracefully when the parent that started it dies without forwarding a signal', async () => {
    const sh = run('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" serve --port 0 --data-dir "${join(dir, 'data')}"; true`]);
    await waitFor(() => /Log in:/.test(sh.out()), 'the gateway to start');
    const url = urlIn(sh.out())!;
    sh.child.kill('SIGKILL');
    await waitFor(async () => !(await answers(url)), 'the orphaned gateway to stop');
  });

  it('survives its stdout being closed (serve | head -1): no EPIPE crash, graceful exit 0', async () => {
    const piped = run('/bin/bash', ['-c', `"${process.execPath}" "${CLI}" serve --port 0 --data-dir "${join(dir, 'data')}" 2>"${join(dir, 'err.log')}" | head -1; sleep 60`], { detached: true });
    await waitFor(() => urlIn(piped.out()) !== undefined, 'the first line');
    const url = urlIn(piped.out())!;
    // head has exited: every later line the gateway prints (the shutdown notice) hits a closed pipe.
    await new Promise((r) => setTimeout(r, 300));
    expect(await answers(url)).toBe(true);
    const gateway = await findServePid(join(dir, 'data'));
    process.kill(gateway, 'SIGTERM');
    await waitFor(async () => !(await answers(url)), 'the gateway to stop');
    const { readFile } = await import('node:fs/promises');
    const stderr = await readFile(join(dir, 'err.log'), 'utf8');
    expect(stderr).not.toMatch(/EPIPE|Error/);
    killGroup(piped.child, 'SIGKILL');
  });
});

describe('opendray serve start-up guards', () => {
  it('a failed first start stores no password; the next start creates and prints one', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(dir, 'data');
    try {
      const res = await runCli(['serve', '--port', String(port), '--data-dir', dataDir]);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(`opendray: 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
    await expect(stat(join(dataDir, 'admin.json'))).rejects.toThrow();
    const serve = await startServe(['--port', '0', '--data-dir', dataDir]);
    cleanup.push(() => serve.stop('SIGKILL'));
    expect(serve.stdout()).toMatch(/password: \S+/);
  });

  it('a second serve on the same data dir fails with one line naming the PID that holds it', async () => {
    const dataDir = join(dir, 'data');
    const first: RunningServe = await startServe(['--port', '0', '--data-dir', dataDir]);
    cleanup.push(() => first.stop('SIGKILL'));
    const second = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(`opendray: data dir ${dataDir} is in use by another opendray serve (PID ${first.child.pid})`);
    expect(await answers(first.url)).toBe(true);
    // Released at exit, even after a kill -9: the next start takes the dir.
    await first.stop('SIGKILL');
    const third = await startServe(['--port', '0', '--data-dir', dataDir]);
    cleanup.push(() => third.stop('SIGKILL'));
    expect(await answers(third.url)).toBe(true);
  });

  it('admin reset-password sets a new password that the next start accepts', async () => {
    const dataDir = join(dir, 'data');
    const first = await startServe(['--port', '0', '--data-dir', dataDir]);
    const old = /password: (\S+)/.exec(first.stdout())![1]!;
    expect(await first.stop('SIGTERM')).toBe(0);

    const reset = await runCli(['admin', 'reset-password', '--data-dir', dataDir]);
    expect(reset.code).toBe(0);
    const fresh = /password: (\S+)/.exec(reset.stdout)![1]!;
    expect(fresh).not.toBe(old);
    expect((await stat(join(dataDir, 'admin.json'))).mode & 0o777).toBe(0o600);

    const tooShort = await runCli(['admin', 'reset-password', '--data-dir', dataDir, '--password-stdin'], {}, 20_000, 'short\n');
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr.trim()).toBe('opendray: the password must have at least 12 characters');

    const serve = await startServe(['--port', '0', '--data-dir', dataDir]);
    cleanup.push(() => serve.stop('SIGKILL'));
    const login = (password: string) =>
      fetch(`${serve.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    expect((await login(fresh)).status).toBe(200);
    expect((await login(old)).status).toBe(401);
  });
});

/** The PID of the `opendray serve` holding `dataDir`, from its PID file. */
async function findServePid(dataDir: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  return Number((await readFile(join(dataDir, 'opendray.pid'), 'utf8')).trim());
}
