import {
  Channel,
  ChannelDelivery,
  ChannelList,
  ChannelTestRequest,
  ChannelTestResult,
  CreateChannelRequest,
  SendChannelMessageRequest,
  UpdateChannelRequest,
  WebhookInbound,
  WebhookReceipt,
} from '@opendray/sdk/wire';
import { unauthorized, badRequest, GatewayError } from '../errors.js';
import { readLimited } from '../http/body.js';
import { IdParams } from '../http/params.js';
import { defineRoute, json, noContent, streamBody, type Route } from '../http/route.js';
import { NoBody } from '../openapi/media.js';
import { compile } from '../validation/ajv.js';
import type { ChannelManager, ChannelPatch } from './manager.js';
import type { OutboundMessage } from './types.js';
import { channelView } from './views.js';

const TEST_TEXT = 'opendray test message';
const NOT_SENDING_409 = 'The channel is not running or cannot send';

/** `{text, conversation_id?}` as an adapter takes it: a numeric conversation id (a Telegram chat) becomes a string. */
function outbound(text: string, conversationId: string | number | null | undefined): OutboundMessage {
  return { text, ...(conversationId !== undefined && conversationId !== null ? { conversation_id: String(conversationId) } : {}) };
}

/** The channel routes of SPEC §4 and §7. */
export function channelRoutes(manager: ChannelManager, opts: { bodyLimitBytes: number; now: () => number }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/channels',
      access: { anyOf: ['channel:send', 'channel:receive'] },
      operationId: 'listChannels',
      summary: 'List channels (secrets redacted for integrations)',
      response: { 200: ChannelList },
      handler: (ctx) => json({ channels: manager.list().map((rt) => channelView(rt, ctx.principal!)) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/channels',
      access: 'admin',
      operationId: 'createChannel',
      summary: 'Create a channel',
      body: CreateChannelRequest,
      response: { 201: Channel },
      errors: { 409: 'Duplicate name' },
      async handler({ body, principal }) {
        const rt = await manager.create({ kind: body.kind, name: body.name.trim(), config: body.config ?? {}, enabled: body.enabled ?? true });
        return json(channelView(rt, principal!), 201);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/channels/{id}',
      access: 'admin',
      operationId: 'getChannel',
      summary: 'Get a channel with its config and status',
      params: IdParams,
      response: { 200: Channel },
      handler: ({ params, principal }) => json(channelView(manager.get(params.id), principal!)),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/channels/{id}',
      access: 'admin',
      operationId: 'updateChannel',
      summary: 'Rename, enable/disable or reconfigure a channel (config is merged; null removes a key)',
      params: IdParams,
      body: UpdateChannelRequest,
      response: { 200: Channel },
      errors: { 409: 'Duplicate name' },
      async handler({ params, body, principal }) {
        const patch: ChannelPatch = {};
        if (body.name !== undefined) patch.name = body.name.trim();
        if (body.enabled !== undefined) patch.enabled = body.enabled;
        if (body.config !== undefined) patch.config = body.config;
        return json(channelView(await manager.update(params.id, patch), principal!));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/channels/{id}',
      access: 'admin',
      operationId: 'deleteChannel',
      summary: 'Stop and delete a channel',
      params: IdParams,
      response: { 204: NoBody },
      async handler({ params }) {
        await manager.remove(params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/channels/{id}/test',
      access: 'admin',
      operationId: 'testChannel',
      summary: 'Send a test message and report the outcome',
      params: IdParams,
      body: ChannelTestRequest,
      response: { 200: { schema: ChannelTestResult, description: 'The test ran; ok tells its outcome' } },
      errors: { 409: NOT_SENDING_409 },
      async handler({ params, body }) {
        try {
          const outcome = await manager.deliver(params.id, outbound(body.text ?? TEST_TEXT, body.conversation_id), false);
          return json({ ok: true, ...outcome });
        } catch (err) {
          if (err instanceof GatewayError && err.code === 'upstream_error') return json({ ok: false, error: err.message });
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/channels/{id}/messages',
      access: 'channel:send',
      operationId: 'sendChannelMessage',
      summary: 'Deliver a message through a channel (202 once delivered; 502 when delivery failed)',
      params: IdParams,
      body: SendChannelMessageRequest,
      response: { 202: ChannelDelivery },
      errors: { 409: NOT_SENDING_409, 502: 'Delivery failed' },
      async handler({ params, body }) {
        const outcome = await manager.deliver(params.id, outbound(body.text, body.conversation_id), true);
        return json({ status: 'delivered', channel_id: params.id, ...outcome }, 202);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/channels/{id}/webhook',
      // Authenticated by the channel's own secret, not a gateway credential (SPEC §7).
      access: 'public',
      operationId: 'channelWebhook',
      summary: "Inbound messages for a channel, proven by the channel's secret or signature",
      description:
        "Authenticated by the channel's own secret: Authorization: Bearer <secret>, X-OpenDray-Channel-Token, or X-OpenDray-Timestamp + X-OpenDray-Signature.",
      params: IdParams,
      // The raw bytes, so a signature covers exactly what was sent; the adapter's schema (e.g. WebhookInbound) after.
      body: streamBody(WebhookInbound),
      response: { 200: WebhookReceipt },
      errors: {
        400: 'Not JSON, or a bad field',
        401: 'Missing or wrong channel secret or signature (not a gateway credential)',
        404: 'No such channel, or it takes no webhooks',
        409: 'The channel is not running',
        413: 'Body over the limit',
      },
      async handler(ctx) {
        const rt = manager.get(ctx.params.id);
        const receiver = rt.adapter?.webhook;
        if (!receiver) throw new GatewayError('not_found', 'this channel has no webhook');
        const declared = Number(ctx.req.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > opts.bodyLimitBytes) {
          ctx.req.resume();
          throw new GatewayError('payload_too_large', `request body exceeds ${opts.bodyLimitBytes} bytes`);
        }
        const rawBody = await readLimited(ctx.req, opts.bodyLimitBytes);
        if (!receiver.authenticate({ headers: ctx.req.headers, rawBody, receivedAt: opts.now() })) throw unauthorized();
        let parsed: unknown;
        try {
          parsed = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new GatewayError('invalid_json', 'request body is not valid JSON');
        }
        if (receiver.bodySchema) compile(receiver.bodySchema, `channel ${rt.record.kind} webhook bodySchema`).check(parsed);
        let messages;
        try {
          messages = receiver.parse(parsed);
        } catch (err) {
          if (err instanceof TypeError) throw badRequest(err.message);
          throw err;
        }
        manager.receive(rt.record.id, messages);
        return json({ ok: true, received: messages.length });
      },
    }),
  ];
}
