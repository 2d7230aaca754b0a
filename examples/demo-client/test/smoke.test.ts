import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode, startOpendray, type RunResult, type ServedGateway } from './support/serve.js';

const DEMO = fileURLToPath(new URL('../demo.mjs', import.meta.url));
const STEPS = [
  '[1/9] First-run registration',
  '[2/9] Reuse of the saved key',
  '[3/9] Recovery from a rotated key',
  '[4/9] Event subscription',
  '[5/9] Listing sessions',
  '[6/9] Spawning a shell',
  '[7/9] Sending input',
  '[8/9] Reading the buffer and history',
  '[9/9] Waiting for events',
  '[cleanup]',
];

let gw: ServedGateway;
let keyFile: string;

beforeAll(async () => {
  gw = await startOpendray();
  keyFile = join(gw.dataDir, 'demo', 'key.json');
});
afterAll(async () => {
  await gw?.stop();
});

function demo(args: string[] = [], env: Record<string, string> = { OPENDRAY_ADMIN_TOKEN: gw.adminToken }): Promise<RunResult> {
  return runNode(DEMO, ['--key-file', keyFile, ...args], {
    OPENDRAY_URL: gw.url,
    OPENDRAY_ADMIN_TOKEN: '',
    OPENDRAY_ADMIN_USER: '',
    OPENDRAY_ADMIN_PASSWORD: '',
    ...env,
  });
}

async function savedKey(): Promise<{ api_key: string; integration_id: string }> {
  return JSON.parse(await readFile(keyFile, 'utf8')) as { api_key: string; integration_id: string };
}

async function api(path: string, token: string): Promise<Response> {
  return fetch(`${gw.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
}

function expectEveryStep(run: RunResult): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  for (const header of STEPS) expect(run.stdout).toContain(header);
  expect(run.stdout).toContain('demo says 42');
  expect(run.stdout).toContain('session.ended: exit_code 3');
  expect(run.stdout).toContain('demo-client: done');
}

describe('examples/demo-client', () => {
  it('refuses a first run without an admin credential, in one line', async () => {
    const run = await demo([], {});
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^demo-client: first-run registration needs an admin credential: set OPENDRAY_ADMIN_TOKEN/);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  let firstKey: string;
  let integrationId: string;

  it('first run: registers, saves the key 0600, recovers from a rotation, drives a shell', async () => {
    const run = await demo();
    expectEveryStep(run);
    expect(run.stdout).toMatch(/POST \/integrations \{name: "demo-client"\} → 201, integration int_/);
    expect(run.stdout).toContain('GET /auth/me → 401 → recovery helper');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const saved = await savedKey();
    expect(saved.api_key).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
    expect(run.stdout).not.toContain(saved.api_key);
    // The key in the file is the one the recovery saved, and it works.
    const me = await api('/auth/me', saved.api_key);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'integration', name: 'demo-client', id: saved.integration_id });
    firstKey = saved.api_key;
    integrationId = saved.integration_id;
    // Cleanup deleted the session it spawned.
    const sessions = (await (await api('/sessions', gw.adminToken)).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toEqual([]);
  });

  it('second run: reuses the saved key', async () => {
    const run = await demo();
    expectEveryStep(run);
    expect(run.stdout).toContain(`skipped: a key is already saved in ${keyFile} (integration ${integrationId})`);
    expect(run.stdout).not.toContain('POST /integrations');
    const saved = await savedKey();
    expect(saved.integration_id).toBe(integrationId);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    // The rotation of step 3 killed the previous key.
    expect(saved.api_key).not.toBe(firstKey);
    expect((await api('/auth/me', firstKey)).status).toBe(401);
    expect((await api('/auth/me', saved.api_key)).status).toBe(200);
  });

  it('--unregister: deletes the integration and the key file', async () => {
    const run = await demo(['--unregister']);
    expectEveryStep(run);
    expect(run.stdout).toContain(`DELETE /integrations/${integrationId} → 204`);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await api(`/integrations/${integrationId}`, gw.adminToken)).status).toBe(404);
  });
});
