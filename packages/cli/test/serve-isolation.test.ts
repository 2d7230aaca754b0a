import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningServe } from './support/cli.js';

const TOKEN = 'serve-isolation-admin-token-42';
let dir: string;
let serve: RunningServe | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-cli-iso-'));
});
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${serve!.url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs `sh -c script` as an operator session and resolves with what it printed. */
async function run(script: string, cwd = dir): Promise<string> {
  const created = await api('/sessions', { provider_id: 'shell', args: ['-c', script], cwd });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  for (let i = 0; i < 200; i++) {
    if ((await api(`/sessions/${created.body.id}`)).body.state === 'ended') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const res = await fetch(`${serve!.url}/api/v1/sessions/${created.body.id}/buffer`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.text()).replace(/\r\n/g, '\n');
}

const env = { OPENDRAY_ADMIN_TOKEN: TOKEN, OPENDRAY_ADMIN_PASSWORD: 'serve-admin-password', OPENDRAY_ADMIN_USER: 'ops', SHELL: '/bin/sh' };

describe('opendray serve and session isolation (SPEC §15)', () => {
  it('says how sessions run at start; --sandbox, OPENDRAY_SANDBOX and the file key choose; a bad value is one line', async () => {
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'a'), '--sandbox', 'off'], env);
    expect(serve.stdout()).toMatch(/^Sandbox: session sandbox off \(operator choice\)/m);
    await serve.stop();
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'b')], { ...env, OPENDRAY_SANDBOX: 'bwrap' });
    expect(serve.stdout()).toMatch(/^Sandbox: sessions run in a bubblewrap sandbox/m);
    await serve.stop();
    const file = join(dir, 'opendray.json');
    await writeFile(file, JSON.stringify({ sandbox: 'off', data_dir: join(dir, 'c') }));
    serve = await startServe(['--port', '0', '--config', file], env);
    expect(serve.stdout()).toMatch(/^Sandbox: session sandbox off/m);

    const bad = await runCli(['serve', '--data-dir', join(dir, 'd'), '--sandbox', 'chroot']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('opendray: invalid --sandbox: must be auto, bwrap or off (got "chroot")');
  });

  it('takes allowed roots from the flag (repeated), the env (comma list) and the file, and refuses a cwd outside them', async () => {
    const [a, b, elsewhere] = [join(dir, 'a'), join(dir, 'b'), join(dir, 'elsewhere')] as const;
    for (const d of [a, b, elsewhere]) await mkdir(d);
    const cases: Array<[string[], NodeJS.ProcessEnv]> = [
      [['--allowed-root', a, '--allowed-root', b], {}],
      [[], { OPENDRAY_ALLOWED_ROOTS: `${a},${b}` }],
    ];
    const file = join(dir, 'roots.toml');
    await writeFile(file, `allowed_roots = ["${a}", "${b}"]\n`);
    cases.push([['--config', file], {}]);
    for (const [args, extra] of cases) {
      serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data'), '--sandbox', 'off', ...args], { ...env, ...extra });
      expect((await api('/sessions', { provider_id: 'shell', args: ['-c', 'true'], cwd: b })).status).toBe(201);
      const outside = await api('/sessions', { provider_id: 'shell', args: ['-c', 'true'], cwd: elsewhere });
      expect(outside.status).toBe(400);
      expect(outside.body.error).toBe('cwd: outside the allowed roots');
      await serve.stop();
    }
    const relative = await runCli(['serve', '--data-dir', join(dir, 'data'), '--allowed-root', 'projects']);
    expect(relative.code).toBe(1);
    expect(relative.stderr.trim()).toMatch(/^opendray: invalid --allowed-root: must be absolute paths/);
  });

  it('creates the store owner-only: data dir 0700, database, -wal and -shm 0600', async () => {
    const dataDir = join(dir, 'data');
    serve = await startServe(['--port', '0', '--data-dir', dataDir, '--sandbox', 'off'], env);
    await api('/integrations', { name: 'something-to-store' });
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    for (const f of ['opendray.sqlite', 'opendray.sqlite-wal', 'opendray.sqlite-shm']) {
      expect((await stat(join(dataDir, f))).mode & 0o777, f).toBe(0o600);
    }
  });

  it('sandboxed: a session cannot read the config file, the saved logins or the daemon environment; off: it can', async () => {
    const xdg = join(dir, 'xdg');
    await mkdir(join(xdg, 'opendray'), { recursive: true });
    await writeFile(join(xdg, 'opendray', 'credentials.json'), '{"gateways":{"x":{"token":"saved-admin-login"}}}');
    const file = join(dir, 'opendray.json');
    await writeFile(file, JSON.stringify({ data_dir: join(dir, 'data'), workspace: dir }));
    const script = (pid: number) =>
      [
        `echo "CONFIG=$(cat ${file} 2>/dev/null | grep -c data_dir)"`,
        `echo "LOGINS=$(cat ${join(xdg, 'opendray', 'credentials.json')} 2>/dev/null | grep -c saved-admin-login)"`,
        `echo "ENVIRON=$(tr '\\0' '\\n' < /proc/${pid}/environ 2>/dev/null | grep -c ${TOKEN})"`,
      ].join('; ');
    for (const mode of ['bwrap', 'off']) {
      serve = await startServe(['--port', '0', '--config', file, '--sandbox', mode], { ...env, XDG_CONFIG_HOME: xdg });
      const out = await run(script(serve.child.pid!));
      const expected = mode === 'bwrap' ? '0' : '1';
      expect(/^CONFIG=(\d)/m.exec(out)?.[1], `${mode}: ${out}`).toBe(expected);
      expect(/^LOGINS=(\d)/m.exec(out)?.[1], mode).toBe(expected);
      // The daemon dropped OPENDRAY_* from its environment once read, but /proc shows the
      // environment it was started with: only the sandbox hides that.
      expect(/^ENVIRON=(\d)/m.exec(out)?.[1], mode).toBe(expected);
      await serve.stop();
    }
  });
});
