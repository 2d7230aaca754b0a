import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyVerifier } from '../src/auth/api-key-verifier.js';
import { bcryptKeyHasher, issueKey, keyHashStats, lookupIdOf, mintApiKey } from '../src/integrations/keys.js';
import { createKeyvIntegrationStore } from '../src/stores/keyv/integration-store.js';
import type { IntegrationRecord } from '../src/stores/types.js';
import { registerIntegration, startGateway, tempDir, type TestGateway } from './support/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(() => t.close());

/** bcrypt compares made while `fn` runs (the counter is process-wide; tests in a file run one by one). */
async function comparesDuring(fn: () => Promise<unknown>): Promise<number> {
  const before = keyHashStats.compares;
  await fn();
  return keyHashStats.compares - before;
}

const me = (token: string) => t.apiJson('/auth/me', { token });

describe('key format', () => {
  it('mints odk_live_ + 43 base64url characters whose first 12 are the lookup id', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const k = mintApiKey();
      expect(k.plaintext).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
      expect(k.plaintext).toHaveLength(52);
      expect(lookupIdOf(k.plaintext)).toBe(k.lookupId);
      expect(k.plaintext.slice(9, 21)).toBe(k.lookupId);
      seen.add(k.plaintext);
    }
    expect(seen.size).toBe(200);
    for (const bad of ['', 'odk_live_', `odk_live_${'a'.repeat(42)}`, `odk_live_${'a'.repeat(44)}`, `odk_test_${'a'.repeat(43)}`, `odk_live_${'a'.repeat(42)}!`]) {
      expect(lookupIdOf(bad)).toBeNull();
    }
  });
});

describe('verification through the gateway', () => {
  it('a valid key authenticates as its integration with its scopes', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'k-valid', scopes: ['session:read', 'provider:read'] });
    const res = await me(api_key);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'integration', id: integration.id, name: 'k-valid', scopes: ['session:read', 'provider:read'] });
  });

  it('costs one bcrypt on first use, none when cached, none for an unknown lookup id', async () => {
    const { api_key } = await registerIntegration(t, { name: 'k-count' });
    expect(await comparesDuring(() => me(api_key))).toBe(1);
    expect(await comparesDuring(async () => {
      for (let i = 0; i < 5; i++) expect((await me(api_key)).status).toBe(200);
    })).toBe(0);
    const unknown = mintApiKey().plaintext;
    expect(await comparesDuring(async () => expect((await me(unknown)).status).toBe(401))).toBe(0);
  });

  it('shares one bcrypt between concurrent first uses of the same key', async () => {
    const { api_key } = await registerIntegration(t, { name: 'k-concurrent' });
    const n = await comparesDuring(async () => {
      const all = await Promise.all(Array.from({ length: 10 }, () => me(api_key)));
      expect(all.every((r) => r.status === 200)).toBe(true);
    });
    expect(n).toBe(1);
  });

  it('refuses malformed keys and a right-length key with a wrong secret with the same 401', async () => {
    const { api_key } = await registerIntegration(t, { name: 'k-wrong' });
    const wrongSecret = api_key.slice(0, 21) + (api_key[21] === 'A' ? 'B' : 'A') + api_key.slice(22);
    const tokens = [api_key.slice(0, -1), `${api_key}A`, 'odk_live_short', wrongSecret, `${api_key.slice(0, 51)}*`];
    for (const token of tokens) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', code: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="opendray"');
      expect(JSON.stringify(res.body)).not.toContain(token);
    }
    // Only the wrong secret reached bcrypt: its lookup id is real.
    expect(await comparesDuring(() => me(wrongSecret))).toBe(1);
    expect(await comparesDuring(() => me(api_key.slice(0, -1)))).toBe(0);
  });

  it('rotation refuses the old key at once and accepts the new one', async () => {
    const { integration, api_key } = await registerIntegration(t, { name: 'k-rotate' });
    expect((await me(api_key)).status).toBe(200);
    const rotated = await t.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(['api_key', 'integration']);
    expect(rotated.body.api_key).not.toBe(api_key);
    expect(rotated.body.integration.rotated_at).toMatch(/Z$/);
    expect((await me(api_key)).status).toBe(401);
    expect((await me(rotated.body.api_key)).status).toBe(200);
  });

  it('rotation validates grace_seconds and 404s an unknown id', async () => {
    const { integration } = await registerIntegration(t, { name: 'k-rotate-bad' });
    for (const body of [{ grace_seconds: -1 }, { grace_seconds: 'soon' }, { grace_seconds: 1.5 }, { grace_seconds: 10_000_000 }, [1]]) {
      const res = await t.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await t.api('/integrations/int_nope00000000/rotate-key', { method: 'POST' })).status).toBe(404);
  });
});

describe('rotation with grace', () => {
  it('keeps the old key valid until the grace ends on the gateway clock', async () => {
    let now = Date.parse('2026-04-27T14:00:00.000Z');
    const g = await startGateway({ clock: { now: () => now } });
    try {
      const { integration, api_key } = await registerIntegration(g, { name: 'graceful' });
      const rotated = await g.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST', body: { grace_seconds: 60 } });
      expect(rotated.status).toBe(200);
      expect((await g.api('/auth/me', { token: api_key })).status).toBe(200);
      expect((await g.api('/auth/me', { token: rotated.body.api_key })).status).toBe(200);
      now += 61_000;
      expect((await g.api('/auth/me', { token: api_key })).status).toBe(401);
      expect((await g.api('/auth/me', { token: rotated.body.api_key })).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});

describe('failed credentials', () => {
  it('are rate-limited per address with 429 and Retry-After, before any bcrypt', async () => {
    const g = await startGateway({ auth: { credentialRateLimit: { max: 3, windowMs: 60_000 } } });
    try {
      const { api_key } = await registerIntegration(g, { name: 'limited' });
      const wrong = api_key.slice(0, 30) + (api_key[30] === 'x' ? 'y' : 'x') + api_key.slice(31);
      for (let i = 0; i < 3; i++) expect((await g.api('/auth/me', { token: wrong })).status).toBe(401);
      const before = keyHashStats.compares;
      const limited = await g.apiJson('/auth/me', { token: wrong });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(keyHashStats.compares).toBe(before);
    } finally {
      await g.close();
    }
  });
});

describe('storage', () => {
  it('stores only the bcrypt hash and lookup id; the key survives a restart on SQLite', async () => {
    const dir = await tempDir();
    const storage = `sqlite://${join(dir.path, 'opendray.sqlite')}`;
    try {
      let g = await startGateway({ storage, bcryptCost: 5 });
      const { integration, api_key } = await registerIntegration(g, { name: 'persisted', scopes: ['session:input'] });
      await g.close();
      const bytes = await readFile(join(dir.path, 'opendray.sqlite'));
      const walBytes = await readFile(join(dir.path, 'opendray.sqlite-wal')).catch(() => Buffer.alloc(0));
      const secret = api_key.slice(9);
      for (const b of [bytes, walBytes]) {
        expect(b.includes(secret)).toBe(false);
        expect(b.includes(secret.slice(12))).toBe(false);
      }
      expect(Buffer.concat([bytes, walBytes]).includes('$2b$05$')).toBe(true);

      g = await startGateway({ storage });
      try {
        const res = await g.apiJson('/auth/me', { token: api_key });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: integration.id, scopes: ['session:input'] });
      } finally {
        await g.close();
      }
    } finally {
      await dir.remove();
    }
  });
});

describe('the verifier', () => {
  const setup = async (maxCached?: number) => {
    const store = createKeyvIntegrationStore(new Keyv());
    const hasher = bcryptKeyHasher(4);
    let now = Date.now();
    const clock = { now: () => now };
    const verifier = createApiKeyVerifier({ store, hasher, clock, ...(maxCached ? { maxCached } : {}) });
    const add = async (name: string): Promise<{ record: IntegrationRecord; key: string }> => {
      const { plaintext, stored } = await issueKey(hasher);
      const record: IntegrationRecord = {
        id: `int_${name.padEnd(12, '0').slice(0, 12)}`,
        name,
        base_url: '',
        route_prefix: '',
        scopes: ['session:read'],
        enabled: true,
        health_status: 'unknown',
        created_at: new Date(now).toISOString(),
        max_sessions: 2,
        key: stored,
      };
      await store.create(record);
      return { record, key: plaintext };
    };
    return { store, verifier, add, advance: (ms: number) => (now += ms) };
  };

  it('returns an integration principal with current scopes, and keeps its cache bounded', async () => {
    const { store, verifier, add } = await setup(2);
    const a = await add('alpha');
    const b = await add('bravo');
    const c = await add('charlie');
    expect(await verifier.verify(a.key)).toEqual({
      kind: 'integration',
      id: a.record.id,
      name: 'alpha',
      scopes: ['session:read'],
      maxSessions: 2,
      sessionAccess: 'shared',
      keyLookupId: a.record.key.lookup_id,
    });
    await verifier.verify(b.key);
    await verifier.verify(c.key);
    expect(verifier.size).toBe(2);
    await store.update(b.record.id, (r) => ({ ...r, scopes: ['session:create'] }));
    const n = await comparesDuring(async () => expect((await verifier.verify(b.key))?.scopes).toEqual(['session:create']));
    expect(n).toBe(0);
  });

  it('never passes a cached key after its record changed, even without invalidate', async () => {
    const { store, verifier, add } = await setup();
    const a = await add('delta');
    expect(await verifier.verify(a.key)).not.toBeNull();
    const next = await issueKey(bcryptKeyHasher(4));
    await store.update(a.record.id, (r) => ({ ...r, key: next.stored }));
    expect(await verifier.verify(a.key)).toBeNull();
    expect(await verifier.verify(next.plaintext)).not.toBeNull();
    await store.update(a.record.id, (r) => ({ ...r, enabled: false }));
    expect(await comparesDuring(async () => expect(await verifier.verify(next.plaintext)).toBeNull())).toBe(0);
    await store.delete(a.record.id);
    expect(await verifier.verify(next.plaintext)).toBeNull();
  });

  it('invalidate forgets only that integration’s entries', async () => {
    const { verifier, add } = await setup();
    const a = await add('echo');
    const b = await add('foxtrot');
    await verifier.verify(a.key);
    await verifier.verify(b.key);
    verifier.invalidate(a.record.id);
    expect(verifier.size).toBe(1);
    expect(await comparesDuring(() => verifier.verify(b.key))).toBe(0);
    expect(await comparesDuring(() => verifier.verify(a.key))).toBe(1);
  });
});
