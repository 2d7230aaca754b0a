import { afterEach, describe, expect, it } from 'vitest';
import { createSession, TEST_PROVIDERS } from './fixtures/sessions.js';
import { registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';

// Storage is bounded (issue #15): `max_sessions` counts live sessions only, so ended ones
// are forgotten past each owner's count, stored bytes and age — oldest ended first.

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Creates a session that prints `bytes` bytes and exits, and waits until it has ended. */
async function runToEnd(g: TestGateway, token: string | undefined, bytes = 0): Promise<string> {
  const script = bytes > 0 ? `head -c ${bytes} /dev/zero | tr '\\0' x; exit 0` : 'exit 0';
  const s = await createSession(g, { provider_id: 'sh', args: ['-c', script] }, token);
  await waitFor(async () => {
    const got = await g.apiJson(`/sessions/${s.id}`);
    return got.status === 200 && got.body.state === 'ended' && got.body.bytes_out >= bytes;
  });
  return s.id;
}

const storedIds = async (g: TestGateway, integrationId?: string): Promise<string[]> =>
  (await g.gateway.stores.sessions.list()).filter((r) => r.integration_id === integrationId).map((r) => r.id);

describe('retention of ended sessions', () => {
  it('keeps at most maxEndedPerOwner ended sessions per integration, forgetting the oldest first', async () => {
    t = await startGateway({ providers: TEST_PROVIDERS, sessionRetention: { maxEndedPerOwner: 3 } });
    const { integration, api_key } = await registerIntegration(t, { name: 'churner', scopes: ['session:create', 'session:read'], max_sessions: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await runToEnd(t, api_key));
    const kept = ids.slice(-3).sort();
    await waitFor(async () => (await storedIds(t!, integration.id)).length === 3);
    expect((await storedIds(t, integration.id)).sort()).toEqual(kept);
    const listed = (await t.apiJson('/sessions', { token: api_key })).body.sessions.map((s: { id: string }) => s.id).sort();
    expect(listed).toEqual(kept);
    expect((await t.api(`/sessions/${ids[0]}`, { token: api_key })).status).toBe(404);
    expect((await t.api(`/sessions/${ids[0]}/buffer`)).status).toBe(404);
  }, 60_000);

  it('counts each owner apart: an integration’s churn never forgets the operator’s sessions', async () => {
    t = await startGateway({ providers: TEST_PROVIDERS, sessionRetention: { maxEndedPerOwner: 2 } });
    const { api_key } = await registerIntegration(t, { name: 'noisy', scopes: ['session:create', 'session:read'], max_sessions: 1 });
    const operator = await runToEnd(t, undefined);
    for (let i = 0; i < 5; i++) await runToEnd(t, api_key);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.api(`/sessions/${operator}`)).status).toBe(200);
  }, 60_000);

  it('ages out, but never counts away, the operator’s own ended sessions', async () => {
    t = await startGateway({ providers: TEST_PROVIDERS, sessionRetention: { maxEndedPerOwner: 2 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await runToEnd(t, undefined));
    await new Promise((r) => setTimeout(r, 200));
    expect((await storedIds(t)).sort()).toEqual([...ids].sort());
  }, 60_000);

  it('bounds the stored bytes of an owner’s ended sessions', async () => {
    // Each session stores 20 KiB of output plus its record (counted as 2 KiB).
    t = await startGateway({ providers: TEST_PROVIDERS, sessionRetention: { maxEndedBytesPerOwner: 50 * 1024 } });
    const { integration, api_key } = await registerIntegration(t, { name: 'chatty', scopes: ['session:create', 'session:read'], max_sessions: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await runToEnd(t, api_key, 20 * 1024));
    await waitFor(async () => (await storedIds(t!, integration.id)).length === 2);
    expect((await storedIds(t, integration.id)).sort()).toEqual(ids.slice(-2).sort());
  }, 60_000);

  it('forgets an ended session maxAgeMs after it ended, even on a quiet gateway; live sessions are never touched', async () => {
    let now = Date.parse('2026-03-01T00:00:00.000Z');
    t = await startGateway({
      providers: TEST_PROVIDERS,
      clock: { now: () => now },
      sessionRetention: { maxAgeMs: 60_000, sweepIntervalMs: 50 },
    });
    const old = await runToEnd(t, undefined);
    const live = await createSession(t, { provider_id: 'sh' });
    now += 30_000;
    const younger = await runToEnd(t, undefined);
    now += 31_000;
    await waitFor(async () => (await t!.api(`/sessions/${old}`)).status === 404);
    expect((await t.api(`/sessions/${younger}`)).status).toBe(200);
    now += 10 * 60_000;
    await waitFor(async () => (await t!.api(`/sessions/${younger}`)).status === 404);
    expect((await t.apiJson(`/sessions/${live.id}`)).body.state).toBe('running');
  }, 60_000);
});
