import { unauthorized, badRequest, GatewayError } from '../errors.js';
import { readLimited } from '../http/body.js';
import { json, noContent, type RequestContext, type Route } from '../http/route.js';
import type { ChannelManager, ChannelPatch } from './manager.js';
import type { OutboundMessage } from './types.js';
import { channelView } from './views.js';

/** Longest outbound message text accepted (adapters split it further where the platform needs). */
const MAX_TEXT_CHARS = 65_536;
const TEST_TEXT = 'opendray test message';

type Body = Record<string, unknown>;

function objectBody(ctx: RequestContext): Body {
  const b = ctx.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('body must be a JSON object');
  return b as Body;
}

function nameOf(v: unknown): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.trim().length > 64) throw badRequest('name must be a string of 1–64 characters');
  if (/[\u0000-\u001f\u007f]/.test(v)) throw badRequest('name must not contain control characters');
  return v.trim();
}

function configOf(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('config must be a JSON object');
  return v as Record<string, unknown>;
}

function enabledOf(v: unknown): boolean {
  if (typeof v !== 'boolean') throw badRequest('enabled must be a boolean');
  return v;
}

/** `{text, conversation_id?}`; a numeric conversation id (a Telegram chat) is accepted as a string. */
function messageOf(b: Body, textRequired: boolean): OutboundMessage {
  let text = TEST_TEXT;
  if (textRequired || b.text !== undefined) {
    if (typeof b.text !== 'string' || b.text.length === 0) throw badRequest('text is required and must be a non-empty string');
    if (b.text.length > MAX_TEXT_CHARS) throw badRequest(`text must be at most ${MAX_TEXT_CHARS} characters`);
    text = b.text;
  }
  const message: OutboundMessage = { text };
  const c = b.conversation_id;
  if (c !== undefined && c !== null) {
    if (typeof c === 'number' && Number.isSafeInteger(c)) message.conversation_id = String(c);
    else if (typeof c === 'string' && c.length > 0 && c.length <= 256) message.conversation_id = c;
    else throw badRequest('conversation_id must be a string of 1–256 characters or an integer');
  }
  return message;
}

/** The channel routes of SPEC §4 and §7. */
export function channelRoutes(manager: ChannelManager, opts: { bodyLimitBytes: number; bodyTimeoutMs?: number; now: () => number }): Route[] {
  return [
    {
      method: 'GET',
      path: '/channels',
      access: { anyOf: ['channel:send', 'channel:receive'] },
      summary: 'List channels (secrets redacted for integrations)',
      handler: (ctx) => json({ channels: manager.list().map((rt) => channelView(rt, ctx.principal!)) }),
    },
    {
      method: 'POST',
      path: '/channels',
      access: 'admin',
      summary: 'Create a channel',
      async handler(ctx) {
        const b = objectBody(ctx);
        if (typeof b.kind !== 'string' || b.kind.length === 0) throw badRequest('kind is required and must be a string');
        const rt = await manager.create({
          kind: b.kind,
          name: nameOf(b.name),
          config: b.config === undefined ? {} : configOf(b.config),
          enabled: b.enabled === undefined ? true : enabledOf(b.enabled),
        });
        return json(channelView(rt, ctx.principal!), 201);
      },
    },
    {
      method: 'GET',
      path: '/channels/{id}',
      access: 'admin',
      summary: 'Get a channel with its config and status',
      handler: (ctx) => json(channelView(manager.get(ctx.params.id!), ctx.principal!)),
    },
    {
      method: 'PATCH',
      path: '/channels/{id}',
      access: 'admin',
      summary: 'Rename, enable/disable or reconfigure a channel (config is merged; null removes a key)',
      async handler(ctx) {
        const b = objectBody(ctx);
        const patch: ChannelPatch = {};
        if (b.name !== undefined) patch.name = nameOf(b.name);
        if (b.enabled !== undefined) patch.enabled = enabledOf(b.enabled);
        if (b.config !== undefined) patch.config = configOf(b.config);
        return json(channelView(await manager.update(ctx.params.id!, patch), ctx.principal!));
      },
    },
    {
      method: 'DELETE',
      path: '/channels/{id}',
      access: 'admin',
      summary: 'Stop and delete a channel',
      async handler(ctx) {
        await manager.remove(ctx.params.id!);
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/channels/{id}/test',
      access: 'admin',
      summary: 'Send a test message and report the outcome',
      async handler(ctx) {
        const message = messageOf(objectBody(ctx), false);
        try {
          const outcome = await manager.deliver(ctx.params.id!, message, false);
          return json({ ok: true, ...outcome });
        } catch (err) {
          if (err instanceof GatewayError && err.code === 'upstream_error') return json({ ok: false, error: err.message });
          throw err;
        }
      },
    },
    {
      method: 'POST',
      path: '/channels/{id}/messages',
      access: 'channel:send',
      summary: 'Deliver a message through a channel (202 once delivered; 502 when delivery failed)',
      async handler(ctx) {
        const message = messageOf(objectBody(ctx), true);
        const outcome = await manager.deliver(ctx.params.id!, message, true);
        return json({ status: 'delivered', channel_id: ctx.params.id!, ...outcome }, 202);
      },
    },
    {
      method: 'POST',
      path: '/channels/{id}/webhook',
      // Authenticated by the channel's own secret, not a gateway credential (SPEC §7).
      access: 'public',
      body: 'stream',
      summary: "Inbound messages for a channel, proven by the channel's secret or signature",
      async handler(ctx) {
        const rt = manager.get(ctx.params.id!);
        const receiver = rt.adapter?.webhook;
        if (!receiver) throw new GatewayError('not_found', 'this channel has no webhook');
        const declared = Number(ctx.req.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > opts.bodyLimitBytes) {
          ctx.req.resume();
          throw new GatewayError('payload_too_large', `request body exceeds ${opts.bodyLimitBytes} bytes`);
        }
        // The raw bytes, so a signature covers exactly what was sent.
        const rawBody = await readLimited(ctx.req, opts.bodyLimitBytes, opts.bodyTimeoutMs);
        if (!receiver.authenticate({ headers: ctx.req.headers, rawBody, receivedAt: opts.now() })) throw unauthorized();
        let parsed: unknown;
        try {
          parsed = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new GatewayError('invalid_json', 'request body is not valid JSON');
        }
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
    },
  ];
}
