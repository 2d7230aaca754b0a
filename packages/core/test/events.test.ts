import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, registerIntegration, startGateway, type TestGateway } from './support/gateway.js';
import { integrationPrincipal, openEvents, verifyTokens, type EventsClient } from './support/events.js';

let t: TestGateway | undefined;
const clients: EventsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await t?.close();
  t = undefined;
});

const open = async (query: string, token: string = ADMIN_TOKEN): Promise<EventsClient> => {
  const c = await openEvents(t!, query, token);
  clients.push(c);
  return c;
};

/** The HTTP refusal of an upgrade: status and parsed JSON body. */
const refusal = async (query: string, token: string = ADMIN_TOKEN): Promise<{ status: number; body: any }> => {
  try {
    const c = await open(query, token);
    throw new Error(`expected a refusal, got an open socket (${c.frames.length} frames)`);
  } catch (err) {
    const e = err as { status?: number; body?: string };
    if (e.status === undefined) throw err;
    return { status: e.status, body: JSON.parse(e.body!) };
  }
};

const TOKENS = {
  idle: integrationPrincipal('int_idle', ['event:subscribe:session.idle']),
  sessions: integrationPrincipal('int_sessions', ['event:subscribe:session.*']),
  all: integrationPrincipal('int_all', ['event:subscribe:*']),
  channelsNoReceive: integrationPrincipal('int_ch0', ['event:subscribe:channel.*']),
  channels: integrationPrincipal('int_ch1', ['event:subscribe:channel.*', 'channel:receive']),
  none: integrationPrincipal('int_none', ['session:read']),
};

describe('events: scopes before the upgrade (SPEC §6)', () => {
  it('opens when every topic is granted, exactly or through a wildcard scope', async () => {
    t = await startGateway({ auth: { verify: verifyTokens(TOKENS) } });
    for (const [token, query] of [
      ['idle', 'topics=session.idle'],
      ['sessions', 'topics=session.idle,session.output'],
      ['sessions', 'topics=session.*'],
      ['all', 'topics=*'],
      ['all', 'topics=session.*,integration.updated'],
      ['channels', 'topics=channel.*'],
      ['channels', 'topics=channel.message_received'],
    ] as const) {
      const c = await open(query, token);
      expect((await c.until((f) => f.topic === '_hello')).data).toEqual({ epoch: t.gateway.bus.epoch, seq: 0 });
    }
  });

  it('refuses with 403 naming the first missing scope, before any upgrade', async () => {
    t = await startGateway({ auth: { verify: verifyTokens(TOKENS) } });
    const cases = [
      ['idle', 'topics=session.output', 'event:subscribe:session.output'],
      ['idle', 'topics=session.idle,session.ended', 'event:subscribe:session.ended'],
      ['idle', 'topics=session.*', 'event:subscribe:session.*'],
      ['none', 'topics=*', 'event:subscribe:*'],
      ['sessions', 'topics=session.idle,integration.updated', 'event:subscribe:integration.updated'],
      ['none', 'topics=session.idle', 'event:subscribe:session.idle'],
      ['all', 'topics=channel.message_received', 'channel:receive'],
      ['channelsNoReceive', 'topics=channel.*', 'channel:receive'],
    ] as const;
    for (const [token, query, scope] of cases) {
      const { status, body } = await refusal(query, token);
      expect(status, query).toBe(403);
      expect(body.code).toBe('missing_scope');
      expect(body.error).toContain(scope);
      expect(body.request_id).toEqual(expect.any(String));
    }
  });

  it('lets the admin subscribe to anything; refuses a missing or unknown credential with 401', async () => {
    t = await startGateway({ auth: { verify: verifyTokens(TOKENS) } });
    await open('topics=*,channel.message_received,integration.*');
    expect((await refusal('topics=*', 'nope')).status).toBe(401);
    const noToken = await openEvents(t, 'topics=*').then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(noToken).toBe(401);
  });

  it('accepts the credential as ?token= on the upgrade', async () => {
    t = await startGateway();
    const c = await open(`topics=session.*&token=${ADMIN_TOKEN}`, '');
    await c.until((f) => f.topic === '_hello');
  });
});

describe('events: bad input is a clean 400 (SPEC §6)', () => {
  it.each([
    ['no topics', ''],
    ['topics=', 'topics='],
    ['topics=,,,', 'topics=,,,'],
    ['an empty item', 'topics=session.idle,,session.ended'],
    ['session.*.*', 'topics=session.*.*'],
    ['a bare prefix wildcard', 'topics=session*'],
    ['upper case', 'topics=Session.idle'],
    ['500 topics', `topics=${Array.from({ length: 500 }, (_, i) => `t${i}.x`).join(',')}`],
    ['since=-1', 'topics=*&since=-1'],
    ['since=abc', 'topics=*&since=abc'],
    ['since=1.5', 'topics=*&since=1.5'],
    ['since twice', 'topics=*&since=1&since=2'],
    ['a 12 KB query', `topics=*&pad=${'x'.repeat(12_000)}`],
  ])('%s', async (_name, query) => {
    t = await startGateway();
    const { status, body } = await refusal(query);
    expect(status).toBe(400);
    expect(body.code).toBe('validation_failed');
    expect(body.error).toMatch(/^(topics|since|query)/);
  });

  it('a 1 MB query string gets a 4xx and the gateway keeps serving', async () => {
    t = await startGateway();
    const status = await openEvents(t, `topics=*&pad=${'x'.repeat(1_048_576)}`, ADMIN_TOKEN).then(
      () => 101,
      (e: { status?: number; code?: string }) => e.status ?? e.code,
    );
    // Node's parser refuses a request line this long before the gateway sees it (or resets).
    expect([400, 431, 'ECONNRESET']).toContain(status);
    expect((await t.api('/health', { token: null })).status).toBe(200);
    await open('topics=*');
  });
});

describe('events: frames, order and patterns (SPEC §6)', () => {
  it('sends _hello first, then {topic, ts, data, seq} frames without the tenant', async () => {
    t = await startGateway();
    t.gateway.bus.publish<string>('session.idle', { session_id: 'ses_0' });
    const c = await open('topics=session.*');
    await c.until((f) => f.topic === '_hello');
    t.gateway.bus.publish<string>('session.idle', { session_id: 'ses_1', idle_for_ms: 5 }, { tenant: 'int_a' });
    const frame = await c.until((f) => f.topic === 'session.idle');
    expect(c.frames[0]).toEqual({ topic: '_hello', ts: expect.any(String), data: { epoch: t.gateway.bus.epoch, seq: 1 } });
    expect(Object.keys(frame).sort()).toEqual(['data', 'seq', 'topic', 'ts']);
    expect(frame).toEqual({ topic: 'session.idle', ts: expect.stringMatching(/Z$/), data: { session_id: 'ses_1', idle_for_ms: 5 }, seq: 2 });
  });

  it('reads * as "everything the caller may see": the topics its event scopes grant, nothing more', async () => {
    t = await startGateway({ auth: { verify: verifyTokens(TOKENS) } });
    const c = await open('topics=*', 'sessions');
    await c.until((f) => f.topic === '_hello');
    t.gateway.bus.publish<string>('integration.updated', { i: 1 }, { tenant: 'int_sessions' });
    t.gateway.bus.publish<string>('channel.message_sent', { i: 2 });
    t.gateway.bus.publish<string>('session.idle', { i: 3 }, { tenant: 'int_sessions' });
    await c.until((f) => f.data.i === 3);
    expect(c.events().map((f) => f.topic)).toEqual(['session.idle']);
  });

  it('delivers overlapping patterns once, only matching topics, in publish order', async () => {
    t = await startGateway();
    const c = await open('topics=session.*,session.output,*,session.output');
    const narrow = await open('topics=session.ended,channel.*');
    await c.until((f) => f.topic === '_hello');
    await narrow.until((f) => f.topic === '_hello');
    const topics = ['session.output', 'session.idle', 'channel.message_sent', 'integration.updated', 'session.ended'];
    for (let i = 0; i < 200; i++) t.gateway.bus.publish<string>(topics[i % topics.length]!, { i });
    await c.until((f) => f.seq === 200);
    await narrow.until((f) => f.seq === 200);
    expect(c.events().map((f) => f.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(c.events().map((f) => f.data.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const wanted = Array.from({ length: 200 }, (_, i) => i + 1).filter((s) => [3, 0].includes(s % 5));
    expect(narrow.events().map((f) => f.seq)).toEqual(wanted);
  });

  it('lets an embedder subscribe in-process with the same patterns', async () => {
    t = await startGateway();
    const seen: string[] = [];
    const fn = (e: { topic: string; seq: number }): void => void seen.push(`${e.seq}:${e.topic}`);
    t.gateway.bus.on('session.*', fn);
    const off = t.gateway.bus.subscribe(['channel.*', 'channel.message_sent'], fn);
    t.gateway.bus.publish<string>('session.started', {});
    t.gateway.bus.publish<string>('channel.message_sent', {});
    t.gateway.bus.publish<string>('integration.updated', {});
    t.gateway.bus.off('session.*', fn);
    off();
    t.gateway.bus.publish<string>('session.ended', {});
    expect(seen).toEqual(['1:session.started', '2:channel.message_sent']);
  });
});

describe('events: tenancy (SPEC §3)', () => {
  it('gives each integration only its own session and integration events; the admin sees all', async () => {
    const a = integrationPrincipal('int_a', ['event:subscribe:session.*', 'event:subscribe:integration.*', 'event:subscribe:channel.*', 'channel:receive']);
    const b = integrationPrincipal('int_b', ['event:subscribe:*']);
    t = await startGateway({ auth: { verify: verifyTokens({ ka: a, kb: b }) } });
    const ca = await open('topics=session.*,integration.*,channel.*', 'ka');
    const cb = await open('topics=*', 'kb');
    const admin = await open('topics=*');
    for (const c of [ca, cb, admin]) await c.until((f) => f.topic === '_hello');
    const bus = t.gateway.bus;
    bus.publish<string>('session.output', { session_id: 'ses_a', data: 'secret a' }, { tenant: 'int_a' }); // 1
    bus.publish<string>('session.output', { session_id: 'ses_b', data: 'secret b' }, { tenant: 'int_b' }); // 2
    bus.publish<string>('session.started', { session_id: 'ses_op' }); // 3: operator's session, no tenant
    bus.publish<string>('integration.updated', { integration_id: 'int_a', changed: ['scopes'] }, { tenant: 'int_a' }); // 4
    bus.publish<string>('integration.registered', { integration_id: 'int_b' }, { tenant: 'int_b' }); // 5
    bus.publish<string>('channel.message_received', { channel_id: 'ch_1', text: 'hi' }); // 6
    bus.publish<string>('provider.changed', { id: 'shell' }); // 7: no tenant, not a tenant topic
    bus.publish<string>('session.ended', { session_id: 'ses_a' }, { tenant: 'int_a' }); // 8
    bus.publish<string>('session.ended', { session_id: 'ses_b' }, { tenant: 'int_b' }); // 9
    await ca.until((f) => f.seq === 8);
    await cb.until((f) => f.seq === 9);
    await admin.until((f) => f.seq === 9);
    expect(ca.events().map((f) => f.seq)).toEqual([1, 4, 6, 8]);
    // b has `*` but no channel:receive: channel traffic is filtered, not refused.
    expect(cb.events().map((f) => f.seq)).toEqual([2, 5, 7, 9]);
    expect(admin.events().map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives a registered integration the integration.* events about itself only', async () => {
    t = await startGateway();
    const scopes = ['event:subscribe:integration.*'];
    const a = await registerIntegration(t, { name: 'alpha', scopes });
    const b = await registerIntegration(t, { name: 'beta', scopes });
    const ca = await open('topics=integration.*', a.api_key);
    const admin = await open('topics=integration.*');
    await ca.until((f) => f.topic === '_hello');
    for (const id of [b.integration.id, a.integration.id]) {
      expect((await t.api(`/integrations/${id}`, { method: 'PATCH', body: { version: '2.0.0' } })).status).toBe(200);
    }
    await admin.until((f) => f.topic === 'integration.updated' && f.data.integration_id === a.integration.id);
    const own = await ca.until((f) => f.topic === 'integration.updated');
    expect(own.data).toMatchObject({ integration_id: a.integration.id, changed: ['version'] });
    expect(ca.events().map((f) => f.data.integration_id)).toEqual([a.integration.id]);
    expect(admin.events().map((f) => f.data.integration_id)).toEqual([b.integration.id, a.integration.id]);
  });

  it('replays only what the caller may see', async () => {
    const a = integrationPrincipal('int_a', ['event:subscribe:session.*']);
    t = await startGateway({ auth: { verify: verifyTokens({ ka: a }) } });
    const bus = t.gateway.bus;
    bus.publish<string>('session.output', { n: 1 }, { tenant: 'int_a' });
    bus.publish<string>('session.output', { n: 2 }, { tenant: 'int_b' });
    bus.publish<string>('session.output', { n: 3 });
    bus.publish<string>('channel.message_sent', { n: 4 });
    bus.publish<string>('session.idle', { n: 5 }, { tenant: 'int_a' });
    const c = await open('topics=session.*&since=0', 'ka');
    bus.publish<string>('session.ended', { n: 6 }, { tenant: 'int_a' });
    await c.until((f) => f.seq === 6);
    expect(c.frames.map((f) => f.topic)).toEqual(['_hello', 'session.output', 'session.idle', 'session.ended']);
    expect(c.events().map((f) => f.seq)).toEqual([1, 5, 6]);
  });
});

describe('events: resume with ?since (SPEC §6)', () => {
  it('after a disconnect, receives exactly the missed events, then live ones', async () => {
    t = await startGateway();
    const bus = t.gateway.bus;
    const first = await open('topics=session.*');
    await first.until((f) => f.topic === '_hello');
    for (let i = 1; i <= 3; i++) bus.publish<string>('session.output', { i });
    const last = (await first.until((f) => f.seq === 3)).seq!;
    first.ws.close();
    await closed(first.ws);
    for (let i = 4; i <= 8; i++) bus.publish<string>(i % 2 ? 'session.idle' : 'channel.message_sent', { i });
    const again = await open(`topics=session.*&since=${last}`);
    bus.publish<string>('session.ended', { i: 9 });
    await again.until((f) => f.seq === 9);
    expect(again.frames[0]).toMatchObject({ topic: '_hello', data: { seq: 8 } });
    expect(again.events().map((f) => f.seq)).toEqual([5, 7, 9]);
    expect(again.frames.some((f) => f.topic === '_gap')).toBe(false);
  });

  it('has no duplicate and no loss at the replay/live seam under a steady publisher', async () => {
    t = await startGateway();
    const bus = t.gateway.bus;
    let running = true;
    const publisher = (async () => {
      while (running) {
        bus.publish<string>('session.output', { n: bus.seq + 1 });
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    const c = await open('topics=session.*&since=0');
    await new Promise((r) => setTimeout(r, 50));
    running = false;
    await publisher;
    const end = bus.seq;
    await c.until((f) => f.seq === end);
    expect(c.events().map((f) => f.seq)).toEqual(Array.from({ length: end }, (_, i) => i + 1));
  });

  it('sends _gap {from, to} first when the log no longer reaches back', async () => {
    t = await startGateway({ eventLogSize: 5 });
    for (let i = 1; i <= 12; i++) t.gateway.bus.publish<string>('session.idle', { i });
    const c = await open('topics=session.*&since=2');
    await c.until((f) => f.seq === 12);
    expect(c.frames.map((f) => f.topic)).toEqual(['_hello', '_gap', ...Array(5).fill('session.idle')]);
    expect(c.frames[1]).toEqual({ topic: '_gap', ts: expect.any(String), data: { from: 3, to: 7 } });
    expect(c.events().map((f) => f.seq)).toEqual([8, 9, 10, 11, 12]);
  });

  it('treats a since ahead of the newest seq as from another instance: replays what this one has', async () => {
    t = await startGateway();
    t.gateway.bus.publish<string>('session.idle', { i: 1 });
    t.gateway.bus.publish<string>('session.idle', { i: 2 });
    const c = await open('topics=*&since=999999');
    t.gateway.bus.publish<string>('session.idle', { i: 3 });
    await c.until((f) => f.seq === 3);
    expect(c.frames[0]).toMatchObject({ topic: '_hello', data: { epoch: t.gateway.bus.epoch, seq: 2 } });
    expect(c.events().map((f) => f.seq)).toEqual([1, 2, 3]);
  });

  it('without since, starts from now', async () => {
    t = await startGateway();
    t.gateway.bus.publish<string>('session.idle', { i: 1 });
    const c = await open('topics=*');
    t.gateway.bus.publish<string>('session.idle', { i: 2 });
    await c.until((f) => f.seq === 2);
    expect(c.events().map((f) => f.seq)).toEqual([2]);
  });
});
