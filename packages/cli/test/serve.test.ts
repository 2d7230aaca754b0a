import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningServe } from './support/cli.js';

let dir: string;
let serve: RunningServe | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-cli-'));
});
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  await rm(dir, { recursive: true, force: true });
});

const login = async (url: string, username: string, password: string): Promise<Response> =>
  fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

describe('opendray serve', () => {
  it('creates credentials on first start, prints them once, answers health and exits 0 on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    serve = await startServe(['--port', '0', '--data-dir', dataDir]);
    const out = serve.stdout();
    expect(out).toMatch(/Log in:/);
    const password = /password: (\S+)/.exec(out)?.[1];
    expect(password).toBeTruthy();
    const keyFile = join(dataDir, 'admin.json');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(stored.user).toBe('admin');
    expect(stored.password_hash).toMatch(/^\$2[aby]\$12\$/);
    expect(JSON.stringify(stored)).not.toContain(password!);

    const health = await fetch(`${serve.url}/api/v1/health`);
    expect(health.status).toBe(200);
    const res = await login(serve.url, 'admin', password!);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(await serve.stop('SIGTERM')).toBe(0);

    // Second start: credentials come from the key file, the password is not printed,
    // and the login token of the first run still works.
    serve = await startServe(['--port', '0', '--data-dir', dataDir]);
    expect(serve.stdout()).not.toContain(password!);
    expect(serve.stdout()).toMatch(/password hash in/);
    const me = await fetch(`${serve.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await serve.stop('SIGINT')).toBe(0);
  });

  it('takes admin credentials and a static token from the environment', async () => {
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data')], {
      OPENDRAY_ADMIN_USER: 'ops',
      OPENDRAY_ADMIN_PASSWORD: 'env-password-123',
      OPENDRAY_ADMIN_TOKEN: 'static-token-abc',
    });
    expect((await login(serve.url, 'ops', 'env-password-123')).status).toBe(200);
    const me = await fetch(`${serve.url}/api/v1/auth/me`, { headers: { authorization: 'Bearer static-token-abc' } });
    expect(await me.json()).toMatchObject({ kind: 'admin' });
  });

  it('caps the live sessions of the whole gateway at OPENDRAY_MAX_LIVE_SESSIONS (503 past it)', async () => {
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data')], {
      OPENDRAY_ADMIN_TOKEN: 'static-token-cap',
      OPENDRAY_MAX_LIVE_SESSIONS: '1',
      OPENDRAY_WORKSPACE: dir,
      SHELL: '/bin/sh',
    });
    const create = () =>
      fetch(`${serve!.url}/api/v1/sessions`, { method: 'POST', headers: { authorization: 'Bearer static-token-cap' }, body: '{"provider_id":"shell"}' });
    expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toMatch(/maximum of 1 live sessions/);
  });

  it('lets flags beat env beat the config file', async () => {
    const configFile = join(dir, 'opendray.toml');
    await writeFile(configFile, `host = "127.0.0.1"\nport = 1\ndata_dir = "${join(dir, 'from-file')}"\nlog_level = "warn"\n`);
    // env beats the file's port 1; the flag beats env's data dir.
    serve = await startServe(['--config', configFile, '--data-dir', join(dir, 'from-flag')], {
      OPENDRAY_PORT: '0',
      OPENDRAY_DATA_DIR: join(dir, 'from-env'),
    });
    expect(serve.url).not.toMatch(/:1$/);
    await stat(join(dir, 'from-flag', 'admin.json'));
    await expect(stat(join(dir, 'from-env'))).rejects.toThrow();
    await expect(stat(join(dir, 'from-file'))).rejects.toThrow();
  });

  it('fails with one line and a non-zero exit on a bad flag, a bad setting or a bad config file', async () => {
    const bogus = await runCli(['serve', '--bogus']);
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr.trim().split('\n')).toHaveLength(1);

    const badPort = await runCli(['serve', '--port', 'abc', '--data-dir', join(dir, 'd')]);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr.trim()).toBe('opendray: invalid --port: must be an integer 0–65535 (got "abc")');

    const badEnv = await runCli(['serve', '--data-dir', join(dir, 'd')], { OPENDRAY_LOG_LEVEL: 'loud' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr.trim()).toMatch(/^opendray: invalid OPENDRAY_LOG_LEVEL/);

    const config = join(dir, 'bad.json');
    await writeFile(config, '{"port": 1, "colour": "blue"}');
    const unknown = await runCli(['serve', '--config', config]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toMatch(/unknown setting "colour"/);
  });

  it('fails with one line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runCli(['serve', '--port', String(port), '--data-dir', join(dir, 'd')]);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(`opendray: 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('serves the web console at / (the API stays under /api/v1), or not with --no-console', async () => {
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data')]);
    expect(serve.stdout()).toContain(`Console: ${serve.url}/`);
    const page = await fetch(`${serve.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    expect((await fetch(`${serve.url}/api/v1/health`)).status).toBe(200);
    const unknown = await fetch(`${serve.url}/api/v1/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-security-policy')).toBeNull();
    await serve.stop('SIGKILL');

    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data'), '--no-console']);
    expect(serve.stdout()).not.toContain('Console:');
    expect((await fetch(`${serve.url}/`)).status).toBe(404);
    expect((await fetch(`${serve.url}/api/v1/health`)).status).toBe(200);
  });
});
