import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { collectEvents, createWebhookChannel, postWebhook } from './support/channels.js';
import { startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { startWebhookStandIn, type WebhookStandIn } from './support/webhook-stand-in.js';

// Webhook signatures (issue #15): a delivery cannot be reflected into the inbound webhook,
// and a signed inbound request is accepted once, however often it is sent in its window.

let t: TestGateway | undefined;
let target: WebhookStandIn | undefined;
afterEach(async () => {
  await t?.close();
  await target?.close();
  t = target = undefined;
});

const signInbound = (secret: string, ts: number, body: string): string => `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;

async function setUp(extra: Record<string, unknown> = {}): Promise<{ g: TestGateway; ch: any }> {
  target = await startWebhookStandIn();
  const g = (t = await startGateway());
  const ch = await createWebhookChannel(g, target.url, 'ops', extra);
  return { g, ch };
}

describe('webhook signatures', () => {
  it('an outbound delivery posted back to the inbound webhook is refused, and publishes nothing', async () => {
    const { g, ch } = await setUp();
    const commands = collectEvents(g.gateway.bus, 'channel.*_received');
    const sent = await g.api(`/channels/${ch.id}/messages`, { method: 'POST', body: { text: '/deploy production --force', conversation_id: 'ops' } });
    expect(sent.status).toBe(202);
    const delivery = await waitFor(() => target!.received[0]);
    const reflected = await postWebhook(g, ch.id, delivery.raw, {
      'x-opendray-signature': String(delivery.headers['x-opendray-signature']),
      'x-opendray-timestamp': String(delivery.headers['x-opendray-timestamp']),
    });
    expect(reflected.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(commands.events).toEqual([]);
    commands.stop();
  });

  it('a signed inbound request is accepted once; its replay within the window is refused', async () => {
    const { g, ch } = await setUp();
    const received = collectEvents(g.gateway.bus, 'channel.message_received');
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ text: 'hello once', conversation_id: 'c1' });
    const headers = { 'x-opendray-timestamp': String(ts), 'x-opendray-signature': signInbound(ch.config.secret, ts, body) };
    // Sent five times at once: exactly one passes.
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => postWebhook(g, ch.id, body, headers)))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    expect((await postWebhook(g, ch.id, body, headers)).status).toBe(401);
    // The same message signed anew (a retry) is a new request.
    const again = JSON.stringify({ text: 'hello once', conversation_id: 'c1' }) + ' ';
    expect((await postWebhook(g, ch.id, again, { 'x-opendray-timestamp': String(ts), 'x-opendray-signature': signInbound(ch.config.secret, ts, again) })).status).toBe(200);
    await waitFor(() => received.events.length === 2);
    received.stop();
  });

  it('remembers a bounded number of signatures: when full of live ones, signed requests are refused, not forgotten', async () => {
    const { g, ch } = await setUp({ max_replay_entries: 3 });
    const ts = Math.floor(Date.now() / 1000);
    const send = (i: number) => {
      const body = JSON.stringify({ text: `m${i}` });
      return postWebhook(g, ch.id, body, { 'x-opendray-timestamp': String(ts), 'x-opendray-signature': signInbound(ch.config.secret, ts, body) });
    };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(i)).status);
    expect(statuses).toEqual([200, 200, 200, 401, 401]);
    // The secret itself (not a signature) is not subject to replay memory.
    expect((await postWebhook(g, ch.id, JSON.stringify({ text: 'by token' }), { 'x-opendray-channel-token': ch.config.secret })).status).toBe(200);
  });
});
