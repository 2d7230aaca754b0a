import { writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAdminCredentials } from '../../src/index.js';
import { startGateway, tempDir, type TestGateway } from '../support/gateway.js';

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

// Issue #11 §7: the store's -wal and -shm were created 0644, and an embedded
// `createGateway({ storage: 'sqlite://…' })` created its store 0644.
describe('store files are owner-only from creation', () => {
  let t: TestGateway | undefined;
  const dirs: Array<{ remove(): Promise<void> }> = [];
  afterEach(async () => {
    await t?.close();
    t = undefined;
    for (const d of dirs.splice(0)) await d.remove();
  });

  it('an embedded SQLite store: db, -wal and -shm 0600', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const db = join(dir.path, 'store.sqlite');
    t = await startGateway({ storage: `sqlite://${db}` });
    await t.apiJson('/integrations', { method: 'POST', body: { name: 'writes-something' } });
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(await mode(file), file).toBe(0o600);
  });

  it('a store left 0644 by an older version is tightened when it opens', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const db = join(dir.path, 'old.sqlite');
    await writeFile(db, '', { mode: 0o644 });
    t = await startGateway({ storage: `sqlite://${db}` });
    expect(await mode(db)).toBe(0o600);
  });

  it("the admin key file and an integration's HOME are owner-only", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const dataDir = join(dir.path, 'data');
    const { origin } = await resolveAdminCredentials({ dataDir, bcryptCost: 4 });
    expect(origin.source).toBe('created');
    expect(await mode(join(dataDir, 'admin.json'))).toBe(0o600);
    expect(await mode(dataDir)).toBe(0o700);

    t = await startGateway({ dataDir, providers: [{ id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: [], submit_key: '\n', config_schema: {} }] });
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'homed', scopes: ['session:create'] } });
    const res = await t.apiJson('/sessions', { method: 'POST', token: reg.body.api_key, body: { provider_id: 'sh', args: ['-c', 'true'], cwd: dir.path } });
    expect(res.status).toBe(201);
    expect(await mode(join(dataDir, 'homes', reg.body.integration.id))).toBe(0o700);
  });
});
