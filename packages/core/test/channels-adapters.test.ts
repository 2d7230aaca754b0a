import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type ChannelAdapterContext, type ChannelAdapterFactory, type OutboundMessage } from '../src/index.js';
import { collectEvents, createChannel, integrationKeys } from './support/channels.js';
import { startGateway, tempDir, waitFor, type TestGateway } from './support/gateway.js';

/** An embedder's own channel kind: records what it sends, lets the test inject inbound messages. */
function recordingKind() {
  const sent: OutboundMessage[] = [];
  const contexts: ChannelAdapterContext[] = [];
  let stops = 0;
  const factory: ChannelAdapterFactory = {
    secretKeys: ['api_key'],
    validateConfig(c) {
      if (typeof c.api_key !== 'string' || c.api_key.length < 8) throw new TypeError('config.api_key must be a string of at least 8 characters');
      if (c.room !== undefined && typeof c.room !== 'string') throw new TypeError('config.room must be a string');
      return { api_key: c.api_key, room: c.room ?? 'general', broken: c.broken === true };
    },
    create(config) {
      return {
        capabilities: { inbound: true, outbound: true, commands: false },
        async start(ctx) {
          if (config.broken) throw new Error('cannot reach the chat service');
          contexts.push(ctx);
        },
        async stop() {
          stops++;
        },
        async send(message) {
          if (message.text === 'fail') throw new Error(`service refused key ${config.api_key as string}`);
          sent.push(message);
          return { conversation_id: message.conversation_id ?? (config.room as string), message_id: `m${sent.length}` };
        },
      };
    },
  };
  return { factory, sent, contexts, stops: () => stops };
}

const SENDER = 'key-embed-send01';
let t: TestGateway;
const kind = recordingKind();

beforeAll(async () => {
  t = await startGateway({
    channelAdapters: { chatroom: kind.factory },
    auth: { verify: integrationKeys({ [SENDER]: ['channel:send', 'channel:receive'] }) },
  });
});

afterAll(async () => {
  await t?.close();
});

describe("an embedder's adapter kind (channelAdapters)", () => {
  it('is created, started, sent through, receives, and stops like a built-in', async () => {
    const ch = await createChannel(t, { kind: 'chatroom', name: 'room-a', config: { api_key: 'embedder-key-1234' } });
    expect(ch).toMatchObject({ running: true, capabilities: { inbound: true, outbound: true, commands: false }, config: { api_key: 'embedder-key-1234', room: 'general' } });
    const ctx = kind.contexts.find((c) => c.channelId === ch.id)!;
    expect(ctx).toBeDefined();

    const seen = collectEvents(t.gateway.bus, 'channel.*');
    ctx.onInbound({ conversation_id: 'general', author: 'erin', text: '/deploy prod' });
    ctx.onInbound({ conversation_id: 'general', author: 'erin', text: 'thanks' });
    const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'deploying' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ conversation_id: 'general', message_id: 'm1' });
    expect(kind.sent.at(-1)).toEqual({ text: 'deploying' });
    await waitFor(() => seen.events.length >= 3);
    seen.stop();
    expect(seen.events.map((e) => e.topic)).toEqual(['channel.command_received', 'channel.message_received', 'channel.message_sent']);
    expect(seen.events[0]!.data).toMatchObject({ command: 'deploy', args: ['prod'] });

    const listed = await t.apiJson('/channels', { token: SENDER });
    expect(listed.body.channels.find((c: any) => c.id === ch.id).config).toEqual({ api_key: '********', room: 'general', broken: false });

    const stopsBefore = kind.stops();
    await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { enabled: false } });
    expect(kind.stops()).toBe(stopsBefore + 1);
    // A stopped adapter's late inbound messages are dropped, not published.
    const late = collectEvents(t.gateway.bus, 'channel.*');
    ctx.onInbound({ conversation_id: 'general', author: 'erin', text: 'too late' });
    late.stop();
    expect(late.events).toEqual([]);
  });

  it('validates config through the factory (400 naming the field)', async () => {
    const res = await t.apiJson('/channels', { method: 'POST', body: { kind: 'chatroom', name: 'room-bad', config: { api_key: 'short' } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/config\.api_key/);
  });

  it('scrubs config secrets from an adapter error and records it', async () => {
    const ch = await createChannel(t, { kind: 'chatroom', name: 'room-b', config: { api_key: 'leaky-key-98765' } });
    const res = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'fail' } });
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('delivery failed: service refused key ********');
    const status = (await t.apiJson(`/channels/${ch.id}`)).body.status;
    expect(status.last_error).toBe('service refused key ********');
  });

  it('keeps a channel whose adapter fails to start, not running, with the error', async () => {
    const ch = await createChannel(t, { kind: 'chatroom', name: 'room-c', config: { api_key: 'broken-key-0000', broken: true } });
    expect(ch.running).toBe(false);
    expect(ch.status.last_error).toBe('cannot reach the chat service');
    const send = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: SENDER, body: { text: 'x' } });
    expect(send.status).toBe(409);
    const fixed = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { config: { broken: false } } });
    expect(fixed.body.running).toBe(true);
  });

  it('rejects a malformed channelAdapters option at createGateway time', async () => {
    await expect(createGateway({ channelAdapters: { 'Bad Kind': kind.factory } })).rejects.toThrow(TypeError);
    await expect(createGateway({ channelAdapters: { ok: {} as ChannelAdapterFactory } })).rejects.toThrow(/channelAdapters\.ok/);
  });
});

describe('persistence', () => {
  it('keeps channels across a restart and starts the enabled ones again', async () => {
    const dir = await tempDir();
    const storage = `sqlite://${join(dir.path, 'opendray.sqlite')}`;
    try {
      const first = await startGateway({ storage });
      const on = await createChannel(first, { kind: 'webhook', name: 'persisted-on' });
      const off = await createChannel(first, { kind: 'webhook', name: 'persisted-off', enabled: false });
      await first.close();

      const second = await startGateway({ storage });
      try {
        const list = (await second.apiJson('/channels')).body.channels;
        expect(list.map((c: any) => [c.name, c.running])).toEqual([
          ['persisted-on', true],
          ['persisted-off', false],
        ]);
        const seen = collectEvents(second.gateway.bus, 'channel.*');
        const res = await second.api(`/channels/${on.id}/webhook`, {
          method: 'POST',
          token: null,
          body: { text: 'still here' },
          headers: { 'x-opendray-channel-token': on.config.secret },
        });
        expect(res.status).toBe(200);
        await waitFor(() => seen.events.length >= 1);
        seen.stop();
        expect((await second.apiJson(`/channels/${off.id}`)).body.config.secret).toBe(off.config.secret);
      } finally {
        await second.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
