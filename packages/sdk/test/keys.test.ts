import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, tempDir, type TestGateway } from '../../core/test/support/gateway.js';
import { TEST_PROVIDERS } from '../../core/test/fixtures/sessions.js';
import { FileKeyStore, MemoryKeyStore, OpendrayClient, withKeyRecovery, type EventFrame, type StoredKey } from '../src/node.js';

const KEY_A = `odk_live_${'A'.repeat(43)}`;
const KEY_B = `odk_live_${'B'.repeat(43)}`;

let dir: { path: string; remove: () => Promise<void> };
let t: TestGateway;
let admin: OpendrayClient;

beforeAll(async () => {
  dir = await tempDir('opendray-sdk-keys-');
  t = await startGateway({ providers: TEST_PROVIDERS });
  admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
});
afterAll(async () => {
  await t.close();
  await dir.remove();
});

describe('FileKeyStore', () => {
  it('saves mode 0600 in a 0700 directory it creates, and loads what it saved', async () => {
    const store = new FileKeyStore(join(dir.path, 'nested', 'key.json'));
    expect(await store.load()).toBeNull();
    await store.save({ api_key: KEY_A, integration_id: 'int_abcdefghijkl' });
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await store.load()).toMatchObject({ api_key: KEY_A, integration_id: 'int_abcdefghijkl', saved_at: expect.any(String) });
  });

  it('replaces a world-readable file with a 0600 one, even under a permissive umask', async () => {
    const path = join(dir.path, 'loose.json');
    await writeFile(path, KEY_A, { mode: 0o644 });
    expect(await new FileKeyStore(path).load()).toEqual({ api_key: KEY_A }); // a bare key file is read too
    const old = process.umask(0);
    try {
      await new FileKeyStore(path).save({ api_key: KEY_B });
    } finally {
      process.umask(old);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await new FileKeyStore(path).load())?.api_key).toBe(KEY_B);
  });

  it('concurrent saves leave one whole record and no temp file', async () => {
    const sub = join(dir.path, 'race');
    const store = new FileKeyStore(join(sub, 'key.json'));
    const keys = Array.from({ length: 20 }, (_, i) => `odk_live_${String(i).padStart(43, 'x')}`);
    await Promise.all(keys.map((k) => store.save({ api_key: k })));
    expect(keys).toContain((await store.load())?.api_key);
    expect(await readdir(sub)).toEqual(['key.json']);
  });

  it('refuses a file that is not a key file', async () => {
    const path = join(dir.path, 'garbage.json');
    await writeFile(path, 'hello', { mode: 0o600 });
    await expect(new FileKeyStore(path).load()).rejects.toThrow(/not a key file/);
  });
});

describe('withKeyRecovery, end to end', () => {
  async function setup(name: string) {
    const reg = await admin.createIntegration({ name, scopes: ['session:read', 'session:create', 'event:subscribe:session.*'] });
    const store = new FileKeyStore(join(dir.path, `${name}.json`));
    await store.save({ api_key: reg.api_key, integration_id: reg.integration.id });
    let rotations = 0;
    const client = withKeyRecovery({
      client: new OpendrayClient({ baseUrl: t.url, token: (await store.load())!.api_key }),
      keyStore: store,
      rotate: async (stored) => {
        rotations++;
        return admin.rotateKey(stored!.integration_id!);
      },
    });
    return { id: reg.integration.id, firstKey: reg.api_key, store, client, rotations: () => rotations };
  }

  it('register → rotate as admin → old key 401 → helper rotates → saves → retry succeeds', async () => {
    const { id, firstKey, store, client, rotations } = await setup('sdk-recover');
    expect(await client.listSessions()).toEqual([]);

    const external = await admin.rotateKey(id); // the operator rotates behind the integration's back
    const stale = await new OpendrayClient({ baseUrl: t.url, token: firstKey }).me().catch((e: unknown) => e);
    expect(stale).toMatchObject({ status: 401 });
    await store.save({ api_key: firstKey, integration_id: id }); // the store still holds the dead key

    const me = await client.me();
    expect(me).toMatchObject({ kind: 'integration', id });
    expect(rotations()).toBe(1);
    const saved = (await store.load())!;
    expect(saved.api_key).not.toBe(firstKey);
    expect(saved.api_key).not.toBe(external.api_key);
    expect(client.token).toBe(saved.api_key);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('concurrent 401s share one rotation', async () => {
    const { id, client, rotations } = await setup('sdk-recover-many');
    const { api_key } = await admin.rotateKey(id);
    const results = await Promise.all(Array.from({ length: 5 }, () => client.listSessions()));
    expect(results).toHaveLength(5);
    expect(rotations()).toBe(1);
    expect(client.token).not.toBe(api_key);
  });

  it('adopts a newer key another process saved instead of rotating again', async () => {
    const { id, store, client, rotations } = await setup('sdk-recover-shared');
    const newer = await admin.rotateKey(id);
    await store.save({ api_key: newer.api_key, integration_id: id });
    expect((await client.me()).id).toBe(id);
    expect(rotations()).toBe(0);
    expect(client.token).toBe(newer.api_key);
  });

  it('a failing rotate surfaces its error; without a handler the 401 passes through', async () => {
    const reg = await admin.createIntegration({ name: 'sdk-recover-fail' });
    const client = withKeyRecovery({
      client: new OpendrayClient({ baseUrl: t.url, token: reg.api_key }),
      keyStore: new MemoryKeyStore({ api_key: reg.api_key }),
      rotate: async () => {
        throw new Error('admin unreachable');
      },
    });
    await admin.rotateKey(reg.integration.id);
    await expect(client.me()).rejects.toThrow('admin unreachable');
    const plain = new OpendrayClient({ baseUrl: t.url, token: reg.api_key });
    await expect(plain.me()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('an event stream survives a rotation: 4001 → recovery → resumed with the new key', async () => {
    const { id, client, rotations } = await setup('sdk-recover-events');
    const stream = client.events({ topics: ['session.*'], backoff: { initialMs: 50, maxMs: 200 } });
    await stream.ready;
    await admin.rotateKey(id);
    const s = await client.createSession({ provider_id: 'sh' }); // recovers the REST side too
    const frames: EventFrame[] = [];
    for await (const frame of stream) {
      frames.push(frame);
      if (frame.topic === 'session.started' && frame.data.session_id === s.id) break;
    }
    expect(rotations()).toBe(1);
    expect(frames.filter((f) => f.topic === '_hello').length).toBeGreaterThanOrEqual(2); // it reconnected
    await client.deleteSession(s.id);
  });
});

describe('withKeyRecovery bounds', () => {
  it('a disabled integration ends the event stream with a 401 after at most one rotation, not a loop', async () => {
    const reg = await admin.createIntegration({ name: 'sdk-recover-disabled', scopes: ['event:subscribe:session.*'] });
    let rotations = 0;
    const client = withKeyRecovery({
      client: new OpendrayClient({ baseUrl: t.url, token: reg.api_key }),
      keyStore: new MemoryKeyStore({ api_key: reg.api_key, integration_id: reg.integration.id }),
      rotate: async () => {
        rotations++;
        return admin.rotateKey(reg.integration.id);
      },
    });
    await admin.updateIntegration(reg.integration.id, { enabled: false });
    const stream = client.events({ topics: ['session.*'], backoff: { initialMs: 20, maxMs: 40 } });
    await expect(stream.next()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(rotations).toBeLessThanOrEqual(1);
  });
});

describe('MemoryKeyStore', () => {
  it('returns copies', async () => {
    const store = new MemoryKeyStore();
    const key: StoredKey = { api_key: KEY_A };
    await store.save(key);
    key.api_key = KEY_B;
    expect((await store.load())?.api_key).toBe(KEY_A);
  });
});
