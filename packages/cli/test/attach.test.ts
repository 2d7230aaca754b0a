import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { CLI } from './support/cli.js';
import { configHome, runCliWithInput, spawnCliInPty, spawnInPty, type PtyRun } from './support/run.js';

let t: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;
const runs: PtyRun[] = [];

beforeAll(async () => {
  t = await startGateway();
  config = await configHome();
});
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});
afterAll(async () => {
  await t.close();
  await config.cleanup();
});

const env = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: config.dir });
const conn = (): string[] => ['--url', t.url, '--token', ADMIN_TOKEN];

async function newShell(body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell', ...body } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const session = async (id: string): Promise<{ state: string; cols: number; rows: number }> => (await t.apiJson(`/sessions/${id}`)).body;

function attachInPty(id: string, size = { cols: 80, rows: 24 }): PtyRun {
  const run = spawnCliInPty(['sessions', 'attach', id, ...conn()], { env: env(), ...size });
  runs.push(run);
  return run;
}

describe('opendray sessions attach (on a real PTY)', () => {
  it('bridges typing and output, follows resizes, detaches with Ctrl-] leaving the session running and the terminal restored', async () => {
    const id = await newShell();
    // Run the CLI under a shell so what follows it (its exit code, the terminal's modes) is visible.
    const run = spawnInPty('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" sessions attach ${id} ${conn().join(' ')}; echo "rc=$?"; stty -a`], {
      env: env(),
      cols: 80,
      rows: 24,
    });
    runs.push(run);
    await run.waitFor('detach with Ctrl-]');
    // The session takes the terminal's size on attach (it was created 120x40).
    await waitFor(async () => (await session(id)).cols === 80 && (await session(id)).rows === 24);

    run.term.write('echo hi-$((40+2))\r');
    await run.waitFor('hi-42');

    run.term.resize(100, 30);
    await waitFor(async () => {
      const s = await session(id);
      return s.cols === 100 && s.rows === 30;
    });
    const mark = run.output().length;
    run.term.write('stty size\r');
    await run.waitFor('30 100', { from: mark });

    // A TUI's alternate screen is left on detach (the shell's prompt must not stay in it).
    run.term.write("printf '\\033[?1049h'\r");
    await waitFor(async () => (await t.api(`/sessions/${id}/buffer`).then((r) => r.text())).includes('\x1b[?1049h'));
    const beforeDetach = run.output().length;
    run.term.write('\x1d');
    await run.waitFor(/rc=0/, { from: beforeDetach });
    expect(await run.exited).toBe(0);
    const after = run.output().slice(beforeDetach);
    expect(after).toContain('\x1b[?1049l');
    expect(after).toContain('detached from');
    // Cooked mode again: canonical input and echo are back on.
    expect(after).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(after).toMatch(/(^|\s)echo(\s|$)/m);
    expect((await session(id)).state).toMatch(/running|idle/);
  });

  it('exits with the session\'s exit code when it ends', async () => {
    const id = await newShell();
    const run = attachInPty(id);
    await run.waitFor('detach with Ctrl-]');
    run.term.write('echo ready-$((1+1))\r');
    await run.waitFor('ready-2');
    run.term.write('exit 3\r');
    expect(await run.exited).toBe(3);
    expect(run.output()).toContain('ended: exit code 3');
    await waitFor(async () => (await session(id)).state === 'ended');
  });

  it('says the session was interrupted when the gateway shuts down under it', async () => {
    const own = await startGateway();
    try {
      const res = await own.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell' } });
      const run = spawnCliInPty(['sessions', 'attach', res.body.id, '--url', own.url, '--token', ADMIN_TOKEN], { env: env() });
      runs.push(run);
      await run.waitFor('detach with Ctrl-]');
      // Live before the shutdown: a stream not yet connected would just retry a gone gateway.
      run.term.write('echo up-$((1+1))\r');
      await run.waitFor('up-2');
      await own.close();
      await run.exited;
      expect(run.output()).toContain('interrupted: the gateway shut down');
      expect(run.output()).not.toMatch(/ended: exit code/);
    } finally {
      await own.close();
    }
  });

  it('replays what the session printed when attaching again, and reports an ended session\'s code', async () => {
    const id = await newShell({ args: ['-c', 'echo replay-$((6*7)); exit 7'] });
    await waitFor(async () => (await session(id)).state === 'ended');
    const run = attachInPty(id);
    expect(await run.exited).toBe(7);
    expect(run.output()).toContain('replay-42');
  });

  it('still bridges bytes when stdin is not a TTY (a pipe), ending with the session\'s code', async () => {
    const id = await newShell();
    const res = await runCliWithInput(['sessions', 'attach', id, ...conn()], { env: env(), input: 'echo piped-$((1+1))\nexit 5\n' });
    expect(res.stdout).toContain('piped-2');
    expect(res.code).toBe(5);
    // Nothing for people on a non-terminal stderr, and never the token.
    expect(res.stderr).toBe('');
    expect(res.stdout + res.stderr).not.toContain(ADMIN_TOKEN);
  });

  it('detaches on the detach key in piped input too (plain or kitty-protocol form), with the session still running', async () => {
    for (const key of ['\x1d', '\x1b[93;5u']) {
      const id = await newShell();
      const res = await runCliWithInput(['sessions', 'attach', id, ...conn()], { env: env(), input: `echo before-$((2+2))\n${key}echo after-$((3+3))\n` });
      expect(res.code).toBe(0);
      // The bytes after the detach key never reach the session.
      await waitFor(async () => (await t.api(`/sessions/${id}/buffer`).then((r) => r.text())).includes('before-4'));
      expect(await t.api(`/sessions/${id}/buffer`).then((r) => r.text())).not.toContain('after');
      expect((await session(id)).state).toMatch(/running|idle/);
    }
  });

  it('--read-only watches with a key lacking session:input; without it that key is refused at the first write', async () => {
    const { api_key } = await registerIntegration(t, { name: 'watcher', scopes: ['session:read', 'session:create'] });
    const created = await t.apiJson('/sessions', { method: 'POST', token: api_key, body: { provider_id: 'shell' } });
    const id = created.body.id as string;
    const keyConn = ['--url', t.url, '--token', api_key];

    const watch = spawnCliInPty(['sessions', 'attach', id, '--read-only', ...keyConn], { env: env() });
    runs.push(watch);
    await watch.waitFor('read-only; detach with Ctrl-]');
    await t.api(`/sessions/${id}/input`, { method: 'POST', body: { data: 'echo seen-$((5*5))\r' } });
    await watch.waitFor('seen-25');
    watch.term.write('echo typed-$((2*2))\r');
    watch.term.write('\x1d');
    expect(await watch.exited).toBe(0);
    expect((await session(id)).cols).toBe(120);
    expect(await t.api(`/sessions/${id}/buffer`).then((r) => r.text())).not.toContain('typed');

    const refused = spawnCliInPty(['sessions', 'attach', id, ...keyConn], { env: env() });
    runs.push(refused);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/opendray: 403 missing_scope: [^\n]*session:input/);
  });

  it('fails with one line and exit 1 for an unknown session, without touching the terminal', async () => {
    const run = attachInPty('ses_doesnotexist');
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe('opendray: 404 not_found: session not found');
  });
});
