import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, cleanEnv, runCli, startServe, type RunningServe } from './support/cli.js';

// The abuse-resistance settings of `opendray serve` (issue #15, docs/operator-guide.md):
// they reach the gateway from flags, env and the config file; weak admin secrets are refused.

let dir: string;
let serve: RunningServe | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-cli-bounds-'));
});
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  await rm(dir, { recursive: true, force: true });
});

const TOKEN = 'bounds-test-admin-token-0123';
const me = (url: string, token: string, forwardedFor?: string): Promise<Response> =>
  fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) } });

describe('opendray serve: abuse-resistance settings', () => {
  it('refuses a short OPENDRAY_ADMIN_TOKEN or OPENDRAY_ADMIN_PASSWORD in one line that does not echo it', async () => {
    const token = await runCli(['serve', '--data-dir', join(dir, 'd')], { OPENDRAY_ADMIN_TOKEN: 'tiny-secret' });
    expect(token.code).toBe(1);
    expect(token.stderr.trim()).toBe('opendray: invalid OPENDRAY_ADMIN_TOKEN: must be at least 16 characters');
    const password = await runCli(['serve', '--data-dir', join(dir, 'd')], { OPENDRAY_ADMIN_USER: 'ops', OPENDRAY_ADMIN_PASSWORD: 'pw12' });
    expect(password.code).toBe(1);
    expect(password.stderr.trim().split('\n')).toHaveLength(1);
    expect(password.stderr).toMatch(/OPENDRAY_ADMIN_PASSWORD must be at least 8 characters/);
    expect(password.stderr).not.toContain('pw12');
  });

  it('--trust-proxy and the credential limit from env reach the gateway; a bad entry is one line', async () => {
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'd'), '--trust-proxy', '127.0.0.1, ::1'], {
      OPENDRAY_ADMIN_TOKEN: TOKEN,
      OPENDRAY_CREDENTIAL_MAX_FAILURES: '2',
    });
    for (let i = 0; i < 2; i++) expect((await me(serve.url, 'junk', '198.51.100.1')).status).toBe(401);
    expect((await me(serve.url, 'junk', '198.51.100.1')).status).toBe(429);
    expect((await me(serve.url, 'junk', '198.51.100.2')).status).toBe(401);
    expect((await me(serve.url, TOKEN, '198.51.100.1')).status).toBe(200);
    await serve.stop('SIGTERM');
    serve = undefined;

    const bad = await runCli(['serve', '--data-dir', join(dir, 'd'), '--trust-proxy', '10.0.0.0/99']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^opendray: trustProxy\[0\]: "10\.0\.0\.0\/99" is not an IP address/);
  });

  it('takes the socket cap from the config file', async () => {
    const config = join(dir, 'opendray.toml');
    await writeFile(config, 'sockets_per_credential = 1\nended_sessions_per_owner = 5\ntrust_proxy = ["loopback"]\n');
    serve = await startServe(['--port', '0', '--data-dir', join(dir, 'd'), '--config', config], { OPENDRAY_ADMIN_TOKEN: TOKEN });
    const url = `${serve.url.replace('http', 'ws')}/api/v1/integrations/_events?topics=*`;
    const open = (): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } });
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await open()).toBe(101);
    expect(await open()).toBe(429);
  });
});

describe('opendray serve with few file descriptors', () => {
  it('idle connections from one address cannot take the descriptors session creation needs', async () => {
    // 200 descriptors in all; one address may hold 40 connections; 190 try.
    const child = spawn('/bin/sh', ['-c', `ulimit -n 200 && exec "${process.execPath}" "${CLI}" serve --port 0 --data-dir "${join(dir, 'd')}"`], {
      env: { ...cleanEnv(), OPENDRAY_ADMIN_TOKEN: TOKEN, OPENDRAY_CONNECTIONS_PER_ADDRESS: '40', OPENDRAY_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sockets: Socket[] = [];
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          out += c;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m && /Log in:/.test(out)) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const port = Number(new URL(url).port);
      for (let i = 0; i < 190; i++) {
        const s = connect({ port, host: '127.0.0.1' });
        s.on('error', () => undefined);
        sockets.push(s);
        await new Promise((r) => s.once('connect', r).once('close', r));
      }
      // The operator, from another loopback address, still creates a session (forkpty needs descriptors).
      const created = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, localAddress: '127.0.0.2', method: 'POST', path: '/api/v1/sessions', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ provider_id: 'shell', cwd: dir }));
      });
      expect(created.status, created.body).toBe(201);
      expect(JSON.parse(created.body).state).toBe('running');
    } finally {
      for (const s of sockets) s.destroy();
      child.kill('SIGKILL');
    }
  }, 30_000);
});
