import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, createChannel, integrationKeys, createWebhookChannel, postWebhook as postToWebhook } from './support/channels.js';
import { openEvents } from './support/events.js';
import { registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { startWebhookStandIn, type WebhookStandIn } from './support/webhook-stand-in.js';

const SENDER = 'key-sender-0001';

let t: TestGateway;
let target: WebhookStandIn;
let n = 0;
const uniqueName = (): string => `hook-${++n}`;

beforeAll(async () => {
  t = await startGateway({
    auth: { verify: integrationKeys({ [SENDER]: ['channel:send'] }) },
  });
  target = await startWebhookStandIn();
});

afterAll(async () => {
  await t?.close();
  await target?.close();
});

const sign = (secret: string, ts: number, body: string, label = ''): string =>
  `sha256=${createHmac('sha256', secret).update(`${label}${ts}.${body}`).digest('hex')}`;

const postWebhook = (id: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
  postToWebhook(t, id, body, headers);
const webhookChannel = (extra: Record<string, unknown> = {}): Promise<any> => createWebhookChannel(t, target.url, uniqueName(), extra);

describe('webhook inbound', () => {
  it('publishes message_received for a request carrying the secret (header or bearer)', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    const a = await postWebhook(ch.id, JSON.stringify({ text: 'hello there', conversation_id: 'room-1', author: 'bob' }), { 'x-opendray-channel-token': ch.config.secret });
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ ok: true, received: 1 });
    const b = await postWebhook(ch.id, JSON.stringify({ text: 'second', conversation_id: 7 }), { authorization: `Bearer ${ch.config.secret}` });
    expect(b.status).toBe(200);
    await waitFor(() => seen.events.length >= 2);
    seen.stop();
    expect(seen.events[0]).toMatchObject({ topic: 'channel.message_received', data: { channel_id: ch.id, conversation_id: 'room-1', author: 'bob', text: 'hello there' } });
    expect(seen.events[0]!.tenant).toBeUndefined();
    expect(seen.events[1]).toMatchObject({ topic: 'channel.message_received', data: { conversation_id: '7', author: '', text: 'second' } });
  });

  it('publishes command_received for /command args, proven by an HMAC signature over the raw body', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    const raw = JSON.stringify({ text: '/Deploy@opendray_bot  staging   --force', conversation_id: 'ops', author: 'carol' });
    const ts = Math.floor(Date.now() / 1000);
    const res = await postWebhook(ch.id, raw, { 'x-opendray-timestamp': String(ts), 'x-opendray-signature': sign(ch.config.secret, ts, raw) });
    expect(res.status).toBe(200);
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
    expect(seen.events[0]).toMatchObject({
      topic: 'channel.command_received',
      data: { channel_id: ch.id, conversation_id: 'ops', author: 'carol', command: 'deploy', args: ['staging', '--force'] },
    });
  });

  it('answers 401 and publishes nothing for a wrong secret, a bad or stale signature, or none', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    const raw = JSON.stringify({ text: 'let me in' });
    const now = Math.floor(Date.now() / 1000);
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-opendray-channel-token': `${ch.config.secret}x` },
      { authorization: 'Bearer wrong-secret-wrong-secret' },
      { 'x-opendray-timestamp': String(now), 'x-opendray-signature': sign('another-secret-entirely', now, raw) },
      { 'x-opendray-timestamp': String(now), 'x-opendray-signature': sign(ch.config.secret, now, `${raw} `) },
      { 'x-opendray-timestamp': String(now - 3600), 'x-opendray-signature': sign(ch.config.secret, now - 3600, raw) },
      { 'x-opendray-signature': sign(ch.config.secret, now, raw) },
    ];
    for (const headers of attempts) {
      const res = await postWebhook(ch.id, raw, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect((await res.json()).code).toBe('unauthorized');
    }
    // A wrong secret is refused before the body is looked at, even a non-JSON one.
    expect((await postWebhook(ch.id, 'not json', { 'x-opendray-channel-token': 'nope-nope-nope-nope' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    seen.stop();
    expect(seen.events).toEqual([]);
  });

  it('refuses non-JSON (400), a body without text (400) and an oversized body (413)', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    const auth = { 'x-opendray-channel-token': ch.config.secret };
    const notJson = await postWebhook(ch.id, '{"text": ', auth);
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).code).toBe('invalid_json');
    const noText = await postWebhook(ch.id, JSON.stringify({ conversation_id: 'x' }), auth);
    expect(noText.status).toBe(400);
    expect((await noText.json()).error).toMatch(/text/);
    const badType = await postWebhook(ch.id, JSON.stringify({ text: 'x', conversation_id: { a: 1 } }), auth);
    expect(badType.status).toBe(400);
    const huge = Buffer.alloc(1_048_576 + 10, 0x61);
    const tooBig = await postWebhook(ch.id, huge, auth);
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).code).toBe('payload_too_large');
    seen.stop();
    expect(seen.events).toEqual([]);
    expect((await t.api('/health', { token: null })).status).toBe(200);
  });
});

describe('webhook outbound', () => {
  it('delivers POST /messages as JSON with a top-level text (Slack-compatible), signed, then publishes message_sent', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.message_sent');
    const before = target.received.length;
    const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'build passed', conversation_id: 'ci' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'delivered', channel_id: ch.id, conversation_id: 'ci' });
    const post = target.received[before]!;
    expect(post.path).toBe('/services/T0/B0/x');
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.json).toEqual({ text: 'build passed', conversation_id: 'ci', channel_id: ch.id });
    const ts = Number(post.headers['x-opendray-timestamp']);
    // Outbound signs "outbound.<ts>.<body>", so it can never pass as an inbound signature.
    expect(post.headers['x-opendray-signature']).toBe(sign(ch.config.secret, ts, post.raw, 'outbound.'));
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
    expect(seen.events[0]).toMatchObject({ topic: 'channel.message_sent', data: { channel_id: ch.id, conversation_id: 'ci', text: 'build passed' } });
    const status = (await t.apiJson(`/channels/${ch.id}`)).body.status;
    expect(typeof status.last_delivery_at).toBe('string');
    expect(status.last_error).toBeUndefined();
  });

  it('answers inbound messages from an event listener (event-driven outbound)', async () => {
    const ch = await webhookChannel();
    const before = target.received.length;
    const stop = t.gateway.bus.subscribe('channel.message_received', (e) => {
      if (e.data.channel_id !== ch.id) return;
      void t.api(`/channels/${ch.id}/messages`, {
        method: 'POST',
        token: SENDER,
        body: { text: `echo: ${e.data.text as string}`, conversation_id: e.data.conversation_id },
      });
    });
    const res = await postWebhook(ch.id, JSON.stringify({ text: 'ping', conversation_id: 'c-9' }), { 'x-opendray-channel-token': ch.config.secret });
    expect(res.status).toBe(200);
    const echo = await waitFor(() => target.received.slice(before).find((p) => p.json?.channel_id === ch.id));
    stop();
    expect(echo.json).toMatchObject({ text: 'echo: ping', conversation_id: 'c-9' });
  });

  it('reports a failed delivery: 502, last_error on the channel, no message_sent; recovers', async () => {
    const ch = await webhookChannel({ timeout_ms: 300 });
    const seen = collectEvents(t.gateway.bus, 'channel.message_sent');
    target.status = 500;
    const failed = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'one' } });
    target.status = 200;
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('upstream_error');
    expect(failed.body.error).toMatch(/HTTP 500/);
    target.hang = true;
    const hung = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'two' } });
    target.hang = false;
    expect(hung.status).toBe(502);
    expect(hung.body.error).toMatch(/timed out/);
    const status = (await t.apiJson(`/channels/${ch.id}`)).body.status;
    expect(status.last_error).toMatch(/timed out/);
    expect(typeof status.last_error_at).toBe('string');
    expect(seen.events).toEqual([]);
    const ok = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'three' } });
    seen.stop();
    expect(ok.status).toBe(202);
    expect(seen.events.map((e) => e.data.text)).toEqual(['three']);
  });

  it('never shows the target URL or secret in an error', async () => {
    const ch = await createChannel(t, { kind: 'webhook', name: uniqueName(), config: { url: 'http://127.0.0.1:9/hooks/SECRETPATH123' } });
    const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'x' } });
    expect(res.status).toBe(502);
    expect(res.body.error).toMatch(/connection failed/);
    expect(JSON.stringify(res.body)).not.toContain('SECRETPATH123');
    const status = (await t.apiJson(`/channels/${ch.id}`)).body.status;
    expect(status.last_error).not.toContain('SECRETPATH123');
  });

  it('validates messages: text required, conversation_id a string or integer', async () => {
    const ch = await webhookChannel();
    for (const body of [{}, { text: '' }, { text: 5 }, { text: 'x', conversation_id: [] }]) {
      const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('POST /test reports the outcome without publishing', async () => {
    const ch = await webhookChannel();
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    const ok = await t.apiJson(`/channels/${ch.id}/test`, { method: 'POST', body: {} });
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(target.received.at(-1)!.json.text).toBe('opendray test message');
    target.status = 503;
    const bad = await t.apiJson(`/channels/${ch.id}/test`, { method: 'POST', body: { text: 'custom' } });
    target.status = 200;
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ ok: false });
    expect(bad.body.error).toMatch(/HTTP 503/);
    seen.stop();
    expect(seen.events).toEqual([]);
  });
});

describe('end to end with a registered integration key', () => {
  it('receives channel events over /integrations/_events and replies through /messages', async () => {
    const ch = await webhookChannel();
    const { api_key } = await registerIntegration(t, { name: 'chat-bot', scopes: ['channel:receive', 'channel:send', 'event:subscribe:channel.*'] });
    const events = await openEvents(t, 'topics=channel.*', api_key);
    try {
      await events.until((f) => f.topic === '_hello');
      const res = await postWebhook(ch.id, JSON.stringify({ text: '/ask why', conversation_id: 'c1', author: 'frank' }), { 'x-opendray-channel-token': ch.config.secret });
      expect(res.status).toBe(200);
      const frame = await events.until((f) => f.topic === 'channel.command_received' && f.data.channel_id === ch.id);
      expect(frame.data).toMatchObject({ conversation_id: 'c1', author: 'frank', command: 'ask', args: ['why'] });
      const before = target.received.length;
      const reply = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: api_key, body: { text: 'because', conversation_id: 'c1' } });
      expect(reply.status).toBe(202);
      expect(target.received[before]!.json).toMatchObject({ text: 'because', conversation_id: 'c1' });
      await events.until((f) => f.topic === 'channel.message_sent' && f.data.text === 'because');
      const listed = await t.apiJson('/channels', { token: api_key });
      expect(JSON.stringify(listed.body)).not.toContain(ch.config.secret);
    } finally {
      events.ws.terminate();
    }
  });
});
