import { randomToken } from '../../security.js';
import { intField, stringField, stringMapField, urlField } from '../config-fields.js';
import type { ChannelAdapter, ChannelAdapterFactory, InboundMessage, OutboundMessage } from '../types.js';
import { postJson } from './http-client.js';
import { createReplayGuard } from './replay-guard.js';
import { inboundProof, signBody, SIGNATURE_HEADER, SIGNATURE_TOLERANCE_S, TIMESTAMP_HEADER } from './signature.js';

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
 * - `max_replay_entries` — inbound signatures remembered (each for its ±300 s window) so
 *   that none is accepted twice; when full, signed requests are refused. @default 10000
 *
 * `secret`, `url` and `headers` are secrets: a Slack webhook URL is itself a credential.
 */
export const webhookAdapterFactory: ChannelAdapterFactory = {
  secretKeys: ['secret', 'url', 'headers'],
  validateConfig(config) {
    const out: Record<string, unknown> = {
      secret: stringField(config, 'secret', { max: 512 }) ?? randomToken(32),
    };
    if ((out.secret as string).length < 16) throw new TypeError('config.secret must be at least 16 characters');
    const url = urlField(config, 'url');
    if (url !== undefined) out.url = url;
    const headers = stringMapField(config, 'headers');
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(name)) throw new TypeError(`config.headers.${name} is not a valid header name`);
      }
      out.headers = headers;
    }
    if (config.timeout_ms !== undefined && config.timeout_ms !== null) out.timeout_ms = intField(config, 'timeout_ms', 10_000, 100, 120_000);
    if (config.max_replay_entries !== undefined && config.max_replay_entries !== null) {
      out.max_replay_entries = intField(config, 'max_replay_entries', 10_000, 1, 1_000_000);
    }
    return out;
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
  const replays = createReplayGuard({ windowS: SIGNATURE_TOLERANCE_S, maxEntries: (config.max_replay_entries as number | undefined) ?? 10_000 });
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
        // Signed as outbound: posting a delivery back to the inbound webhook never verifies.
        headers: { ...headers, [SIGNATURE_HEADER]: signBody(secret, ts, json, 'outbound'), [TIMESTAMP_HEADER]: String(ts) },
      });
      if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook answered HTTP ${answer.status}`);
    },
    webhook: {
      authenticate(request) {
        const proof = inboundProof(secret, request.headers, request.rawBody, request.receivedAt);
        if (!proof.ok) return false;
        // A signed request is accepted once; a sender retrying re-signs with a new timestamp.
        return !proof.signature || replays.firstUse(proof.signature.value, proof.signature.timestampS, request.receivedAt);
      },
      parse: parseInbound,
    },
  };
}

/** `{text, conversation_id?, author?, author_id?, message_id?}`; ids may be strings or integers. */
function parseInbound(body: unknown): InboundMessage[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.text !== 'string' || b.text.length === 0) throw new TypeError('text is required and must be a non-empty string');
  const message: InboundMessage = {
    text: b.text,
    conversation_id: idOf(b.conversation_id, 'conversation_id') ?? '',
    author: idOf(b.author, 'author') ?? '',
  };
  const authorId = idOf(b.author_id, 'author_id');
  if (authorId !== undefined) message.author_id = authorId;
  const messageId = idOf(b.message_id, 'message_id');
  if (messageId !== undefined) message.message_id = messageId;
  return [message];
}

function idOf(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v.length <= 256) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  throw new TypeError(`${name} must be a string of at most 256 characters or an integer`);
}
