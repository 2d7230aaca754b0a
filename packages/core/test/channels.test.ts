import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, integrationKeys, createWebhookChannel, postWebhook as postToWebhook } from './support/channels.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { startWebhookStandIn, type WebhookStandIn } from './support/webhook-stand-in.js';

const SENDER = 'key-sender-0001';
const RECEIVER = 'key-receiver-01';
const OUTSIDER = 'key-outsider-01';

let t: TestGateway;
let target: WebhookStandIn;
let n = 0;
const uniqueName = (): string => `hook-${++n}`;

beforeAll(async () => {
  t = await startGateway({
    auth: { verify: integrationKeys({ [SENDER]: ['channel:send'], [RECEIVER]: ['channel:receive'], [OUTSIDER]: ['session:read'] }) },
  });
  target = await startWebhookStandIn();
});

afterAll(async () => {
  await t?.close();
  await target?.close();
});

const postWebhook = (id: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
  postToWebhook(t, id, body, headers);
const webhookChannel = (extra: Record<string, unknown> = {}): Promise<any> => createWebhookChannel(t, target.url, uniqueName(), extra);

describe('channel administration', () => {
  it('creates a webhook channel with a generated secret and shows it to the admin', async () => {
    const ch = await webhookChannel();
    expect(ch.id).toMatch(/^ch_[A-Za-z0-9_-]{12}$/);
    expect(ch).toMatchObject({ kind: 'webhook', enabled: true, running: true, capabilities: { inbound: true, outbound: true, commands: true } });
    expect(typeof ch.config.secret).toBe('string');
    expect(ch.config.secret.length).toBeGreaterThanOrEqual(32);
    const got = await t.apiJson(`/channels/${ch.id}`);
    expect(got.status).toBe(200);
    expect(got.body.config.secret).toBe(ch.config.secret);
    expect(got.body.status).toEqual({});
    const list = await t.apiJson('/channels');
    expect(list.body.channels.map((c: any) => c.id)).toContain(ch.id);
  });

  it('refuses bad input with a 400 naming the field and stores nothing', async () => {
    const before = (await t.apiJson('/channels')).body.channels.length;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ kind: 'carrier-pigeon', name: 'x1' }, /kind/],
      [{ kind: 'webhook' }, /name/],
      [{ kind: 'webhook', name: 'x2', config: 'nope' }, /config/],
      [{ kind: 'webhook', name: 'x3', config: { url: 'ftp://example.com' } }, /config\.url/],
      [{ kind: 'webhook', name: 'x4', config: { secret: 'short' } }, /config\.secret/],
      [{ kind: 'webhook', name: 'x5', enabled: 'yes' }, /enabled/],
      [{ kind: 'telegram', name: 'x6', config: {} }, /config\.bot_token/],
      [{ kind: 'telegram', name: 'x7', config: { bot_token: '1:a/../../x' } }, /config\.bot_token/],
    ];
    for (const [body, field] of cases) {
      const res = await t.apiJson('/channels', { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.error).toMatch(field);
    }
    const notJson = await t.api('/channels', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await t.apiJson('/channels')).body.channels.length).toBe(before);
  });

  it('refuses a duplicate name with 409, also under concurrent creation', async () => {
    const name = uniqueName();
    const results = await Promise.all([1, 2, 3].map(() => t.apiJson('/channels', { method: 'POST', body: { kind: 'webhook', name } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const list = (await t.apiJson('/channels')).body.channels.filter((c: any) => c.name === name);
    expect(list).toHaveLength(1);
  });

  it('patches name, config (merged) and enabled; disabling stops the channel', async () => {
    const ch = await webhookChannel();
    const renamed = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { name: `${ch.name}-renamed`, config: { timeout_ms: 500 } } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe(`${ch.name}-renamed`);
    expect(renamed.body.config).toMatchObject({ secret: ch.config.secret, url: ch.config.url, timeout_ms: 500 });

    const inboundOnly = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { config: { url: null } } });
    expect(inboundOnly.body.config.url).toBeUndefined();
    expect(inboundOnly.body.capabilities.outbound).toBe(false);
    const noOutbound = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', body: { text: 'hi' } });
    expect(noOutbound.status).toBe(409);

    const off = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, running: false });
    const secret = ch.config.secret as string;
    const refused = await postWebhook(ch.id, JSON.stringify({ text: 'hello' }), { 'x-opendray-channel-token': secret });
    expect(refused.status).toBe(409);
    const on = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, running: true });

    const bad = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { config: { timeout_ms: -1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/config\.timeout_ms/);
    expect((await t.apiJson(`/channels/${ch.id}`)).body.config.timeout_ms).toBe(500);
    const other = await webhookChannel();
    const clash = await t.apiJson(`/channels/${ch.id}`, { method: 'PATCH', body: { name: other.name } });
    expect(clash.status).toBe(409);
  });

  it('deletes a channel: 204, then 404 everywhere', async () => {
    const ch = await webhookChannel();
    expect((await t.api(`/channels/${ch.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.api(`/channels/${ch.id}`)).status).toBe(404);
    expect((await t.api(`/channels/${ch.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await t.api(`/channels/${ch.id}/messages`, { method: 'POST', body: { text: 'x' } })).status).toBe(404);
    expect((await postWebhook(ch.id, '{"text":"x"}', { 'x-opendray-channel-token': ch.config.secret })).status).toBe(404);
  });
});

describe('scopes and redaction', () => {
  it('lets channel:send and channel:receive list channels, with secrets redacted and no status', async () => {
    const ch = await webhookChannel({ headers: { 'x-target-key': 'target-secret-value' } });
    for (const token of [SENDER, RECEIVER]) {
      const res = await t.apiJson('/channels', { token });
      expect(res.status).toBe(200);
      const mine = res.body.channels.find((c: any) => c.id === ch.id);
      expect(mine).toMatchObject({ id: ch.id, kind: 'webhook', name: ch.name, enabled: true, running: true, capabilities: { inbound: true, outbound: true, commands: true } });
      expect(mine.config).toEqual({ secret: '********', url: '********', headers: '********' });
      expect(mine.status).toBeUndefined();
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(ch.config.secret);
      expect(text).not.toContain('target-secret-value');
      expect(text).not.toContain('/services/T0');
    }
  });

  it('enforces the scope of every channel route', async () => {
    const ch = await webhookChannel();
    const outsider = await t.apiJson('/channels', { token: OUTSIDER });
    expect(outsider.status).toBe(403);
    expect(outsider.body.code).toBe('missing_scope');
    expect((await t.api('/channels', { token: null })).status).toBe(401);
    const receiverSend = await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', token: RECEIVER, body: { text: 'x' } });
    expect(receiverSend.status).toBe(403);
    expect(receiverSend.body.error).toContain('channel:send');
    const adminOnly: Array<[string, string, unknown?]> = [
      ['POST', '/channels', { kind: 'webhook', name: 'sneaky' }],
      ['GET', `/channels/${ch.id}`],
      ['PATCH', `/channels/${ch.id}`, { enabled: false }],
      ['DELETE', `/channels/${ch.id}`],
      ['POST', `/channels/${ch.id}/test`, {}],
    ];
    for (const [method, path, body] of adminOnly) {
      for (const token of [SENDER, RECEIVER]) {
        const res = await t.apiJson(path, { method, token, body });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
    }
    const after = await t.apiJson(`/channels/${ch.id}`);
    expect(after.body).toMatchObject({ enabled: true, running: true });
  });
});
