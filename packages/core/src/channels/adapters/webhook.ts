import { REASON, T, WebhookInbound } from '@opendray/sdk/wire';
import { randomToken } from '../../security.js';
import type { ChannelAdapter, ChannelAdapterFactory, InboundMessage, OutboundMessage } from '../types.js';
import { postJson } from './http-client.js';
import { provesSecret, signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';

/**
 * The `webhook` channel kind (SPEC §7).
 *
 * Config:
 * - `secret` — proves inbound calls (bearer / `X-OpenDray-Channel-Token`, or an HMAC
 *   signature); generated (32 random bytes) when not given; at least 16 characters.
 * - `url` — where outbound messages are POSTed as JSON; without it the channel is inbound only.
 *   A Slack incoming-webhook URL works as is (Slack reads the top-level `text`).
 * - `headers` — extra headers on outbound POSTs (e.g. the target's own credentials).
 * - `timeout_ms` — outbound deadline. @default 10000
 *
 * `secret`, `url` and `headers` are secrets: a Slack webhook URL is itself a credential.
 */
export const WebhookConfig = T.Object({
  secret: T.Optional(T.String({ minLength: 16, maxLength: 512, description: 'Proves inbound calls; generated when absent' })),
  url: T.Optional(T.String({ maxLength: 2048, format: 'http-url', description: 'Where outbound messages are POSTed' })),
  headers: T.Optional(
    T.Unsafe<Record<string, string>>({
      type: 'object',
      maxProperties: 32,
      propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$", [REASON]: 'is not a valid header name' },
      additionalProperties: { type: 'string', maxLength: 4096 },
    }),
  ),
  timeout_ms: T.Optional(T.Integer({ minimum: 100, maximum: 120_000, default: 10_000 })),
});

export const webhookAdapterFactory: ChannelAdapterFactory = {
  secretKeys: ['secret', 'url', 'headers'],
  configSchema: WebhookConfig,
  validateConfig(config) {
    // Validated against WebhookConfig already; only the generated secret is added.
    const { secret, url, headers, timeout_ms } = config as { secret?: string; url?: string; headers?: Record<string, string>; timeout_ms?: number };
    return {
      secret: secret ?? randomToken(32),
      ...(url !== undefined ? { url } : {}),
      ...(headers !== undefined ? { headers } : {}),
      ...(timeout_ms !== undefined ? { timeout_ms } : {}),
    };
  },
  create(config) {
    return createWebhookAdapter(config);
  },
};

function createWebhookAdapter(config: Readonly<Record<string, unknown>>): ChannelAdapter {
  const secret = config.secret as string;
  const url = config.url as string | undefined;
  const headers = (config.headers as Record<string, string> | undefined) ?? {};
  const timeoutMs = (config.timeout_ms as number | undefined) ?? 10_000;
  let channelId = '';
  let now = (): number => Date.now();

  return {
    capabilities: { inbound: true, outbound: url !== undefined, commands: true },
    async start(ctx) {
      channelId = ctx.channelId;
      now = () => ctx.clock.now();
    },
    async stop() {},
    checkMessage() {
      return url === undefined ? 'this channel has no outbound url' : null;
    },
    async send(message: OutboundMessage, signal: AbortSignal) {
      if (url === undefined) throw new Error('this channel has no outbound url');
      // `text` at the top level is all a Slack incoming webhook needs; the rest is for our own receivers.
      const payload: Record<string, unknown> = { text: message.text, channel_id: channelId };
      if (message.conversation_id !== undefined) payload.conversation_id = message.conversation_id;
      const json = JSON.stringify(payload);
      const ts = Math.floor(now() / 1000);
      const answer = await postJson(url, json, {
        timeoutMs,
        signal,
        maxResponseBytes: 64 * 1024,
        headers: { ...headers, [SIGNATURE_HEADER]: signBody(secret, ts, json), [TIMESTAMP_HEADER]: String(ts) },
      });
      if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook answered HTTP ${answer.status}`);
    },
    webhook: {
      authenticate: (request) => provesSecret(secret, request.headers, request.rawBody, request.receivedAt),
      bodySchema: WebhookInbound,
      parse: parseInbound,
    },
  };
}

/** A body that matched `WebhookInbound`: ids given as integers become strings. */
function parseInbound(body: unknown): InboundMessage[] {
  const b = body as WebhookInbound;
  const message: InboundMessage = { text: b.text, conversation_id: idOf(b.conversation_id) ?? '', author: idOf(b.author) ?? '' };
  const authorId = idOf(b.author_id);
  if (authorId !== undefined) message.author_id = authorId;
  const messageId = idOf(b.message_id);
  if (messageId !== undefined) message.message_id = messageId;
  return [message];
}

const idOf = (v: string | number | null | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));
