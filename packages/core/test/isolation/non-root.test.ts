import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/gateway.js';
import { field } from './support.js';

const CORE = join(dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');
const TOKEN = 'non-root-admin-token-0123456789';
/** When the tests run as root, the gateway drops to `nobody`; otherwise it already runs unprivileged. */
const NOBODY = 65534;
const dropTo = process.getuid?.() === 0 ? NOBODY : undefined;

/**
 * A gateway in its own process, as an unprivileged user: bubblewrap then builds the
 * sandbox in an unprivileged user namespace (SPEC §15 must hold for a non-root operator).
 */
async function startUnprivilegedGateway(base: string): Promise<{ child: ChildProcess; url: string }> {
  const code = `
    import { createGateway } from ${JSON.stringify(CORE)};
    const gateway = await createGateway({
      sandbox: 'bwrap',
      storage: ${JSON.stringify(`sqlite://${join(base, 'data', 'opendray.sqlite')}`)},
      workspaceRoot: ${JSON.stringify(join(base, 'workspace'))},
      auth: { adminToken: ${JSON.stringify(TOKEN)} },
      bcryptCost: 4,
      providers: [{ id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: [], submit_key: '\\n', config_schema: {} }],
    });
    const { url } = await gateway.listen(0, '127.0.0.1');
    process.stdout.write('READY ' + url + '\\n');
    process.on('SIGTERM', () => gateway.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: base,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(base, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(dropTo !== undefined ? { uid: dropTo, gid: dropTo } : {}),
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`gateway exited ${c}: ${out}${err}`)));
  });
  return { child, url };
}

describe('the sandbox for a non-root operator', () => {
  let child: ChildProcess | undefined;
  let base: string | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('runs integration sessions in bubblewrap as an unprivileged user, the data dir and the gateway hidden', async () => {
    base = await mkdtemp(join(tmpdir(), 'opendray-nonroot-'));
    for (const d of ['data', 'workspace', 'home']) await mkdir(join(base, d));
    if (dropTo !== undefined) for (const d of ['', 'data', 'workspace', 'home']) await chown(join(base, d), dropTo, dropTo);
    const gw = await startUnprivilegedGateway(base);
    child = gw.child;
    const api = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
      const res = await fetch(`${gw.url}/api/v1${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.token ?? TOKEN}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: res.status, text: await res.text() };
    };
    const reg = JSON.parse((await api('/integrations', { method: 'POST', body: { name: 'tenant', scopes: ['session:create', 'session:read'] } })).text);
    const key = reg.api_key as string;
    const script = [
      'echo "UID=$(id -u)"',
      `echo "GW=$([ -e /proc/${gw.child.pid}/environ ] && echo visible || echo hidden)"`,
      `echo "STORE=$(ls -A ${join(base, 'data')} | grep -c sqlite)"`,
      // base is under /tmp, which is private inside: the touch lands there, never on the host.
      `touch ${join(base, 'planted')} 2>/dev/null`,
      'touch ./mine && echo "CWD=yes"',
    ].join('; ');
    const created = JSON.parse((await api('/sessions', { method: 'POST', token: key, body: { provider_id: 'sh', args: ['-c', script] } })).text);
    expect(created.id, JSON.stringify(created)).toMatch(/^ses_/);
    await waitFor(async () => JSON.parse((await api(`/sessions/${created.id}`, { token: key })).text).state === 'ended', 20_000);
    const out = (await api(`/sessions/${created.id}/buffer`, { token: key })).text.replace(/\r\n/g, '\n');
    expect(field(out, 'UID')).toBe(String(dropTo ?? process.getuid?.()));
    expect(field(out, 'GW')).toBe('hidden');
    expect(field(out, 'STORE')).toBe('0');
    expect(existsSync(join(base, 'planted'))).toBe(false);
    expect(field(out, 'CWD')).toBe('yes');
  });
});
