import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { collectEvents, createChannel, integrationKeys } from './support/channels.js';
import { startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { startTelegramStandIn, type TelegramStandIn } from './support/telegram-stand-in.js';

const SENDER = 'key-tg-sender-01';
const RECEIVER = 'key-tg-receiver1';

let t: TestGateway;
let logLines = '';
const openStandIns: TelegramStandIn[] = [];
const created: string[] = [];
let n = 0;

beforeAll(async () => {
  t = await startGateway({
    logger: createLogger('debug', (line) => (logLines += line)),
    auth: { verify: integrationKeys({ [SENDER]: ['channel:send'], [RECEIVER]: ['channel:receive'] }) },
  });
});

afterEach(async () => {
  // Stop the channels first so no poll loop keeps hammering a closed stand-in.
  for (const id of created.splice(0)) await t.api(`/channels/${id}`, { method: 'DELETE' });
  for (const s of openStandIns.splice(0)) await s.close();
});

afterAll(async () => {
  await t?.close();
});

/** A fresh stand-in and a telegram channel polling it with quick timeouts and backoff. */
async function telegramChannel(config: Record<string, unknown> = {}): Promise<{ api: TelegramStandIn; ch: any }> {
  const api = await startTelegramStandIn(`${700000 + ++n}:TOKEN-secret_${n}abcdef`);
  openStandIns.push(api);
  const ch = await createChannel(t, {
    kind: 'telegram',
    name: `tg-${n}`,
    config: { bot_token: api.token, api_base_url: api.url, poll_timeout_s: 1, request_timeout_ms: 400, backoff_initial_ms: 20, backoff_max_ms: 200, ...config },
  });
  created.push(ch.id);
  return { api, ch };
}

const statusOf = async (id: string): Promise<any> => (await t.apiJson(`/channels/${id}`)).body.status;

describe('telegram channel', () => {
  it('long-polls getUpdates and publishes messages and commands', async () => {
    const { api, ch } = await telegramChannel();
    expect(ch).toMatchObject({ kind: 'telegram', running: true, capabilities: { inbound: true, outbound: true, commands: true } });
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    api.pushMessage(5001, 'hello bot', 'dave');
    api.pushMessage(5001, '/status@my_bot now please');
    await waitFor(() => seen.events.length >= 2);
    seen.stop();
    expect(seen.events[0]).toMatchObject({
      topic: 'channel.message_received',
      data: { channel_id: ch.id, conversation_id: '5001', author: 'dave', author_id: '42', text: 'hello bot' },
    });
    expect(seen.events[1]).toMatchObject({ topic: 'channel.command_received', data: { channel_id: ch.id, conversation_id: '5001', command: 'status', args: ['now', 'please'] } });
    // Updates are confirmed with offset: nothing is delivered twice.
    await waitFor(() => api.calls.filter((c) => c.method === 'getUpdates').length >= 3);
    const offsets = api.calls.filter((c) => c.method === 'getUpdates').map((c) => c.body.offset);
    expect(offsets.at(-1)).toBeGreaterThan(1000);
    expect(seen.events).toHaveLength(2);
  });

  it('sends with sendMessage, replies to inbound messages, and publishes message_sent', async () => {
    const { api, ch } = await telegramChannel();
    const sent = collectEvents(t.gateway.bus, 'channel.message_sent');
    const stop = t.gateway.bus.subscribe('channel.command_received', (e) => {
      if (e.data.channel_id !== ch.id) return;
      void t.api(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { conversation_id: e.data.conversation_id, text: `ran ${e.data.command as string}` } });
    });
    api.pushMessage(-100200, '/build main');
    await waitFor(() => api.sent.length >= 1);
    stop();
    expect(api.sent[0]).toEqual({ chat_id: '-100200', text: 'ran build' });
    const direct = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { conversation_id: 77, text: 'x'.repeat(5000) } });
    expect(direct.status).toBe(202);
    expect(direct.body).toMatchObject({ status: 'delivered', conversation_id: '77' });
    expect(typeof direct.body.message_id).toBe('string');
    // Longer than Telegram's 4096-character cap: sent in two parts.
    expect(api.sent.slice(1).map((s) => (s.text as string).length)).toEqual([4096, 904]);
    await waitFor(() => sent.events.length >= 2);
    sent.stop();
    expect(sent.events[0]).toMatchObject({ data: { channel_id: ch.id, conversation_id: '-100200', text: 'ran build' } });
  });

  it('needs a conversation_id unless a default chat is configured; honours allowed_chat_ids', async () => {
    const { api, ch } = await telegramChannel();
    const missing = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'hi' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/conversation_id/);
    const patched = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { config: { default_chat_id: 900, allowed_chat_ids: [900] } } });
    expect(patched.body).toMatchObject({ running: true, config: { default_chat_id: '900', allowed_chat_ids: ['900'], bot_token: api.token } });
    const ok = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'to default' } });
    expect(ok.status).toBe(202);
    expect(api.sent.at(-1)).toEqual({ chat_id: '900', text: 'to default' });
    const other = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'x', conversation_id: '901' } });
    expect(other.status).toBe(400);
    const seen = collectEvents(t.gateway.bus, 'channel.*');
    api.pushMessage(901, 'stranger');
    api.pushMessage(900, 'friend');
    await waitFor(() => seen.events.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    seen.stop();
    expect(seen.events.map((e) => e.data.text)).toEqual(['friend']);
  });

  it('keeps the bot token secret: redacted for integrations, absent from errors and logs', async () => {
    const { api, ch } = await telegramChannel();
    const listed = await t.apiJson('/channels', { token: RECEIVER });
    const mine = listed.body.channels.find((c: any) => c.id === ch.id);
    expect(mine.config.bot_token).toBe('********');
    expect(mine.config.api_base_url).toBe(api.url);
    expect(JSON.stringify(listed.body)).not.toContain(api.token);
    api.mode = 'error';
    await waitFor(async () => /HTTP 500 Internal Server Error/.test((await statusOf(ch.id)).last_error ?? ''));
    expect((await statusOf(ch.id)).last_error).toContain('/bot<token>/getUpdates');
    api.mode = 'ok';
    await api.down();
    const failed = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { conversation_id: 1, text: 'x' } });
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatch(/telegram sendMessage: connection failed/);
    await waitFor(async () => (await statusOf(ch.id)).last_error?.includes('getUpdates'));
    const status = await statusOf(ch.id);
    for (const text of [JSON.stringify(failed.body), JSON.stringify(status), logLines]) expect(text).not.toContain(api.token);
    expect(logLines).toContain(ch.id);
  });

  it('reports malformed JSON and recovers', async () => {
    const { api, ch } = await telegramChannel();
    api.mode = 'malformed';
    await waitFor(async () => /malformed/.test((await statusOf(ch.id)).last_error ?? ''));
    const seen = collectEvents(t.gateway.bus, 'channel.message_received');
    api.mode = 'ok';
    api.pushMessage(1, 'after the storm');
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
    expect(seen.events[0]!.data.text).toBe('after the storm');
    expect((await t.apiJson(`/channels/${ch.id}`)).body.running).toBe(true);
  });

  it('reports a timed-out poll and recovers', async () => {
    const { api, ch } = await telegramChannel();
    api.mode = 'hang';
    await waitFor(async () => /timed out/.test((await statusOf(ch.id)).last_error ?? ''));
    const seen = collectEvents(t.gateway.bus, 'channel.message_received');
    api.mode = 'ok';
    api.pushMessage(2, 'awake again');
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
    expect(seen.events[0]!.data.text).toBe('awake again');
  });

  it('honours retry_after on 429 before polling again', async () => {
    const { api, ch } = await telegramChannel();
    await waitFor(() => api.calls.some((c) => c.method === 'getUpdates'));
    api.retryAfterS = 1;
    api.mode = 'rate_limited';
    await waitFor(async () => /HTTP 429/.test((await statusOf(ch.id)).last_error ?? ''));
    const limitedAt = api.calls.find((c) => c.mode === 'rate_limited')!.at;
    api.mode = 'ok';
    await waitFor(() => api.calls.some((c) => c.at > limitedAt), 15_000);
    const next = api.calls.find((c) => c.at > limitedAt)!;
    // With a 20 ms backoff, only retry_after (1 s) explains a gap this long.
    expect(next.at - limitedAt).toBeGreaterThanOrEqual(900);
    const seen = collectEvents(t.gateway.bus, 'channel.message_received');
    api.pushMessage(3, 'unthrottled');
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
  });

  it('retries a 429 on sendMessage after retry_after, then delivers', async () => {
    const { api, ch } = await telegramChannel({ poll: false });
    expect(ch.capabilities.inbound).toBe(false);
    api.retryAfterS = 1;
    api.mode = 'rate_limited';
    const pending = t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { conversation_id: 4, text: 'patience' } });
    await waitFor(() => api.calls.some((c) => c.method === 'sendMessage'));
    api.mode = 'ok';
    const res = await pending;
    expect(res.status).toBe(202);
    expect(api.sent).toEqual([{ chat_id: '4', text: 'patience' }]);
  });

  it('backs off while the API is down and recovers after it restarts', async () => {
    const { api, ch } = await telegramChannel();
    await waitFor(() => api.calls.some((c) => c.method === 'getUpdates'));
    await api.down();
    await waitFor(async () => /ECONNREFUSED|connection failed/.test((await statusOf(ch.id)).last_error ?? ''));
    await api.up();
    const seen = collectEvents(t.gateway.bus, 'channel.message_received');
    api.pushMessage(6, 'back online');
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
    const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { conversation_id: 6, text: 'welcome back' } });
    expect(res.status).toBe(202);
    expect(api.sent.at(-1)).toEqual({ chat_id: '6', text: 'welcome back' });
    expect((await statusOf(ch.id)).last_delivery_at).toBeDefined();
  });

  it('aborts the long poll when the channel is disabled, and resumes when enabled', async () => {
    const { api, ch } = await telegramChannel({ poll_timeout_s: 50 });
    await waitFor(() => api.calls.some((c) => c.method === 'getUpdates'));
    const off = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { enabled: false } });
    expect(off.body.running).toBe(false);
    await waitFor(() => api.abandoned >= 1);
    const polls = api.calls.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(api.calls.length).toBe(polls);
    const on = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { enabled: true } });
    expect(on.body.running).toBe(true);
    const seen = collectEvents(t.gateway.bus, 'channel.message_received');
    api.pushMessage(8, 'resumed');
    await waitFor(() => seen.events.length >= 1);
    seen.stop();
  });
});
