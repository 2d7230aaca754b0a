import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../src/index.js';
import { keyHashStats, mintApiKey } from '../src/integrations/keys.js';
import { ADMIN_TOKEN, registerIntegration, startGateway, tempDir, type TestGateway } from './support/gateway.js';

// Concurrent bursts against a real gateway (issue #15): limits hold exactly, a valid
// credential is never locked out by others' junk, and bcrypt never starves the thread pool.

const admin = { username: 'root', password: 'correct horse battery' };
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The same key with another secret after its lookup id: finds the record, fails bcrypt. */
function wrongSecret(key: string, i: number): string {
  const tail = mintApiKey().plaintext.slice(-31);
  const candidate = key.slice(0, 21) + tail;
  return candidate === key ? wrongSecret(key, i + 1) : candidate;
}

const statuses = (responses: Response[]): Record<number, number> =>
  responses.reduce<Record<number, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {});

describe('admin login under a concurrent burst', () => {
  it('checks at most the limit of 60 simultaneous wrong passwords and refuses the right one sent during the burst', async () => {
    // A real cost, so every guess of the burst is in flight before the first is answered.
    t = await startGateway({ bcryptCost: 10, auth: { admin } });
    const login = (password: string): Promise<Response> =>
      t!.api('/auth/login', { method: 'POST', token: null, body: { username: admin.username, password } });
    const wrong = Array.from({ length: 60 }, (_, i) => login(`wrong-password-${i}`));
    // Once one guess is answered 429 the window is full; the right password arrives while
    // the burst is still in flight.
    const firstRefusal = Promise.any(wrong.map((p) => p.then((r) => (r.status === 429 ? r : Promise.reject(new Error('not 429'))))));
    await firstRefusal;
    const right = await login(admin.password);
    const counts = statuses(await Promise.all(wrong));
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // Every 401 is one checked password: exactly the limit (10), the other 50 never checked.
    expect(counts).toEqual({ 401: 10, 429: 50 });
  });

  it('refuses a password over 72 bytes with 400 (bcrypt would ignore the rest) without counting it', async () => {
    t = await startGateway({ auth: { admin, loginRateLimit: { max: 1, windowMs: 60_000 } } });
    const long = await t.apiJson('/auth/login', { method: 'POST', token: null, body: { username: 'root', password: `${admin.password}${'x'.repeat(60)}` } });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: 'validation_failed', error: expect.stringContaining('72 bytes') });
    expect((await t.api('/auth/login', { method: 'POST', token: null, body: admin })).status).toBe(200);
  });

  it('refuses admin credentials under the documented minimums, and passwords over 72 bytes, at configuration', async () => {
    await expect(createGateway({ auth: { adminToken: 'short-token' } })).rejects.toThrow(/auth\.adminToken must be at least 16 characters/);
    await expect(createGateway({ bcryptCost: 4, auth: { admin: { username: 'root', password: 'seven77' } } })).rejects.toThrow(
      /auth\.admin\.password must be at least 8 characters/,
    );
    await expect(createGateway({ bcryptCost: 4, auth: { admin: { username: 'root', password: 'é'.repeat(37) } } })).rejects.toThrow(/at most 72 bytes/);
  });
});

describe('API keys under a concurrent burst', () => {
  it('80 simultaneous wrong keys with a known lookup id cost at most the limit in bcrypt; the rest are 429', async () => {
    t = await startGateway();
    const { api_key } = await registerIntegration(t, { name: 'burst-target' });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200); // cached from now on
    const before = keyHashStats.compares;
    const responses = await Promise.all(Array.from({ length: 80 }, (_, i) => t!.api('/auth/me', { token: wrongSecret(api_key, i) })));
    const compares = keyHashStats.compares - before;
    const counts = statuses(responses);
    expect(Object.keys(counts).sort()).toEqual(['401', '429']);
    // Default limit: 30 refused credentials per address per minute, reserved before bcrypt.
    expect(compares).toBeLessThanOrEqual(30);
    expect(counts[401]).toBe(compares);
    expect(counts[429]).toBeGreaterThanOrEqual(50);
    // The address is over its limit, yet the valid (cached) key still works.
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
  });

  it('a bcrypt flood from many addresses keeps /health ok (SQLite store) and a valid key answered', async () => {
    const dir = await tempDir();
    try {
      t = await startGateway({
        storage: `sqlite://${join(dir.path, 'opendray.sqlite')}`,
        bcryptCost: 10,
        trustProxy: ['127.0.0.1'],
      });
      const { api_key } = await registerIntegration(t, { name: 'flooded' });
      expect((await t.api('/sessions', { token: api_key })).status).toBe(200);
      // 200 wrong keys, each from its own address (via the trusted proxy), so no per-address
      // limit stops them: only the gateway-wide verification queue bounds the bcrypt work.
      const flood = Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          t!.api('/auth/me', { token: wrongSecret(api_key, i), headers: { 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` } }),
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
      const health = await timed(() => t!.apiJson('/health', { token: null }));
      const valid = await timed(() => t!.api('/sessions', { token: api_key }));
      const counts = statuses(await flood);
      expect(health.value.status).toBe(200);
      expect(health.value.body.status).toBe('ok');
      expect(valid.value.status).toBe(200);
      // Generous bounds: answered at all within seconds (the benchmark measures the real figure).
      expect(health.ms).toBeLessThan(5_000);
      expect(valid.ms).toBeLessThan(5_000);
      // The queue refused what it could not hold: 503 with Retry-After, never a pile-up.
      expect(counts[503]).toBeGreaterThan(0);
      expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(200);
    } finally {
      await t?.close();
      t = undefined;
      await dir.remove();
    }
  }, 60_000);
});

describe('the log under a junk flood', () => {
  it('one warn a minute per rate-limited address, no error line for a full verification queue', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const capture = (level: string) => (msg: string) => void lines.push({ level, msg });
    t = await startGateway({
      trustProxy: ['loopback'],
      auth: { credentialRateLimit: { max: 2, windowMs: 60_000 } },
      limits: { verifications: { concurrency: 1, maxQueued: 0 } },
      bcryptCost: 8,
      logger: { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') },
    });
    const { api_key } = await registerIntegration(t, { name: 'logged' });
    for (let i = 0; i < 30; i++) await t.api('/auth/me', { token: 'junk', headers: { 'x-forwarded-for': '198.51.100.77' } });
    // Concurrent costly checks from many addresses: the queue (no room) sheds them with 503.
    const shed = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t!.api('/auth/me', { token: wrongSecret(api_key, i), headers: { 'x-forwarded-for': `10.7.0.${i}` } })),
    );
    expect(shed.some((r) => r.status === 503)).toBe(true);
    const limited = lines.filter((l) => l.msg === 'request rate-limited');
    expect(limited.filter((l) => l.level === 'warn').length).toBeLessThanOrEqual(1 + shed.filter((r) => r.status === 503).length);
    expect(limited.filter((l) => l.level === 'warn' && l.msg === 'request rate-limited').length).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.level === 'debug' && l.msg === 'request rate-limited').length).toBeGreaterThanOrEqual(27);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('no lockout of the innocent', () => {
  it('junk from an address does not lock out a cached key, an admin session token or the static token from it', async () => {
    t = await startGateway({ auth: { admin, credentialRateLimit: { max: 5, windowMs: 60_000 } } });
    const { api_key } = await registerIntegration(t, { name: 'innocent' });
    const { api_key: unused } = await registerIntegration(t, { name: 'never-used' });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
    const session = (await t.apiJson('/auth/login', { method: 'POST', token: null, body: admin })).body.token as string;
    const junk = ['nonsense', 'odt_nope', mintApiKey().plaintext, 'odk_live_short'];
    const refused = statuses(await Promise.all(Array.from({ length: 30 }, (_, i) => t!.api('/auth/me', { token: junk[i % junk.length] }))));
    expect(refused).toEqual({ 401: 5, 429: 25 });
    expect((await t.api('/auth/me', { token: api_key })).status).toBe(200);
    expect((await t.api('/auth/me', { token: session })).status).toBe(200);
    expect((await t.api('/auth/me', { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await t.api('/auth/me', { token: 'more-junk' })).status).toBe(429);
    // A key never verified since start needs one bcrypt, which a locked-out address does
    // not get (docs/abuse-resistance.md); from another address it works.
    expect((await t.api('/auth/me', { token: unused })).status).toBe(429);
  });

  it('behind a trusted proxy each client has its own budget; the header of an untrusted peer is ignored', async () => {
    t = await startGateway({ trustProxy: ['127.0.0.0/8'], auth: { credentialRateLimit: { max: 2, windowMs: 60_000 } } });
    const { api_key } = await registerIntegration(t, { name: 'behind-proxy' });
    const from = (ip: string, token: string) => t!.api('/auth/me', { token, headers: { 'x-forwarded-for': `203.0.113.7, ${ip}` } });
    for (let i = 0; i < 3; i++) await from('198.51.100.1', 'junk');
    expect((await from('198.51.100.1', 'junk')).status).toBe(429);
    expect((await from('198.51.100.2', 'junk')).status).toBe(401);
    expect((await from('198.51.100.1', api_key)).status).toBe(429); // uncached, locked-out client
    expect((await from('198.51.100.2', api_key)).status).toBe(200);
    await t.gateway.close();

    // No trust: X-Forwarded-For is the client's own claim and changes nothing.
    t = await startGateway({ auth: { credentialRateLimit: { max: 2, windowMs: 60_000 } } });
    for (const ip of ['198.51.100.1', '198.51.100.2']) await t.api('/auth/me', { token: 'junk', headers: { 'x-forwarded-for': ip } });
    expect((await t.api('/auth/me', { token: 'junk', headers: { 'x-forwarded-for': '198.51.100.3' } })).status).toBe(429);
  });

  it('refuses a trustProxy entry that is not an address or range', async () => {
    await expect(createGateway({ trustProxy: ['10.0.0.0/33'] })).rejects.toThrow(/trustProxy\[0\]/);
    await expect(createGateway({ trustProxy: ['proxy.example'] })).rejects.toThrow(/trustProxy\[0\]/);
  });
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}
