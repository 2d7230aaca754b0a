import { REASON, T, type Static } from '@opendray/sdk/wire';
import type { ChannelAdapter, ChannelAdapterContext, ChannelAdapterFactory, InboundMessage } from '../types.js';
import { createTelegramApi, TelegramApiError } from './telegram-api.js';

const DEFAULT_API = 'https://api.telegram.org';
/** Telegram's cap on one message's text (UTF-16 units); longer text is sent in parts. */
const MAX_TEXT = 4096;
/** The longest `retry_after` honoured before trying again anyway. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** A poll that comes back empty faster than this waits out the rest, so a bad server cannot make us spin. */
const MIN_POLL_INTERVAL_MS = 200;

/**
 * The `telegram` channel kind (SPEC §7): Bot API long polling (`getUpdates`) in, `sendMessage` out.
 *
 * Config:
 * - `bot_token` (required, secret) — never returned to integrations, never logged, scrubbed from errors.
 * - `api_base_url` — @default https://api.telegram.org (tests point it at a local stand-in).
 * - `poll` — receive messages by long polling. @default true
 * - `poll_timeout_s` — `getUpdates` timeout (0–50). @default 30
 * - `request_timeout_ms` — deadline of a call, added to the poll timeout for `getUpdates`. @default 10000
 * - `backoff_initial_ms` / `backoff_max_ms` — retry delays while the API fails, doubling, capped. @default 1000 / 60000
 * - `default_chat_id` — where a message without `conversation_id` goes.
 * - `allowed_chat_ids` — when set, only these chats are heard and written to.
 */
const ChatId = T.Unsafe<string | number>({
  type: ['string', 'integer'],
  minLength: 1,
  maxLength: 256,
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
  [REASON]: 'must be a string or an integer',
});
const ms = (minimum: number, maximum: number, fallback: number) => T.Optional(T.Integer({ minimum, maximum, default: fallback }));

export const TelegramConfig = T.Object({
  // The token goes into the URL path: digits, a colon, then URL-safe characters only.
  bot_token: T.String({ maxLength: 256, pattern: '^\\d{1,20}:[A-Za-z0-9_-]{1,200}$', [REASON]: 'has an invalid format' }),
  api_base_url: T.Optional(T.String({ maxLength: 2048, format: 'http-url', default: DEFAULT_API })),
  poll: T.Optional(T.Boolean({ default: true })),
  poll_timeout_s: ms(0, 50, 30),
  request_timeout_ms: ms(100, 120_000, 10_000),
  backoff_initial_ms: ms(10, 60_000, 1_000),
  backoff_max_ms: ms(10, MAX_RETRY_AFTER_MS, 60_000),
  default_chat_id: T.Optional(ChatId),
  allowed_chat_ids: T.Optional(T.Array(ChatId, { maxItems: 1000 })),
});
type TelegramConfigInput = Static<typeof TelegramConfig>;

export const telegramAdapterFactory: ChannelAdapterFactory = {
  secretKeys: ['bot_token'],
  configSchema: TelegramConfig,
  validateConfig(config) {
    // Validated against TelegramConfig already: defaults, normalised ids, one cross-field rule.
    const c = config as TelegramConfigInput;
    const out: Record<string, unknown> = {
      bot_token: c.bot_token,
      api_base_url: (c.api_base_url ?? DEFAULT_API).replace(/\/+$/, ''),
      poll: c.poll ?? true,
      poll_timeout_s: c.poll_timeout_s ?? 30,
      request_timeout_ms: c.request_timeout_ms ?? 10_000,
      backoff_initial_ms: c.backoff_initial_ms ?? 1_000,
      backoff_max_ms: c.backoff_max_ms ?? 60_000,
    };
    if ((out.backoff_max_ms as number) < (out.backoff_initial_ms as number)) {
      throw new TypeError('config.backoff_max_ms: must be at least config.backoff_initial_ms');
    }
    if (c.default_chat_id !== undefined) out.default_chat_id = String(c.default_chat_id);
    if (c.allowed_chat_ids) out.allowed_chat_ids = c.allowed_chat_ids.map(String);
    return out;
  },
  create(config) {
    return createTelegramAdapter(config);
  },
};

function createTelegramAdapter(config: Readonly<Record<string, unknown>>): ChannelAdapter {
  const api = createTelegramApi(config.api_base_url as string, config.bot_token as string);
  const poll = config.poll as boolean;
  const pollTimeoutS = config.poll_timeout_s as number;
  const requestTimeoutMs = config.request_timeout_ms as number;
  const backoffInitial = config.backoff_initial_ms as number;
  const backoffMax = config.backoff_max_ms as number;
  const defaultChat = config.default_chat_id as string | undefined;
  const allowed = config.allowed_chat_ids ? new Set(config.allowed_chat_ids as string[]) : null;
  let loop: Promise<void> | null = null;

  async function pollLoop(ctx: ChannelAdapterContext): Promise<void> {
    let offset: number | undefined;
    let backoff = backoffInitial;
    while (!ctx.signal.aborted) {
      const began = ctx.clock.now();
      try {
        const params: Record<string, unknown> = { timeout: pollTimeoutS, allowed_updates: ['message', 'channel_post'] };
        if (offset !== undefined) params.offset = offset;
        const result = await api.call('getUpdates', params, { timeoutMs: pollTimeoutS * 1000 + requestTimeoutMs, signal: ctx.signal });
        if (!Array.isArray(result)) throw new TelegramApiError('telegram getUpdates: malformed response (result is not a list)', 'malformed');
        backoff = backoffInitial;
        for (const update of result) {
          const id = (update as { update_id?: unknown } | null)?.update_id;
          if (typeof id !== 'number' || !Number.isSafeInteger(id)) continue;
          offset = Math.max(offset ?? 0, id + 1);
          const message = toInbound(update as Record<string, unknown>);
          if (message && (!allowed || allowed.has(message.conversation_id))) ctx.onInbound(message);
        }
        const elapsed = ctx.clock.now() - began;
        if (result.length === 0 && elapsed < MIN_POLL_INTERVAL_MS) await sleep(MIN_POLL_INTERVAL_MS - elapsed, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) return;
        ctx.onError(err instanceof Error ? err : new Error('telegram getUpdates failed'));
        const retryAfterS = err instanceof TelegramApiError ? err.retryAfterS : undefined;
        let wait: number;
        if (retryAfterS !== undefined) wait = Math.min(retryAfterS * 1000, MAX_RETRY_AFTER_MS);
        else {
          wait = backoff * (0.8 + Math.random() * 0.4); // jitter, so many bots do not retry in step
          backoff = Math.min(backoff * 2, backoffMax);
        }
        await sleep(wait, ctx.signal);
      }
    }
  }

  return {
    capabilities: { inbound: poll, outbound: true, commands: true },
    async start(ctx) {
      if (poll) loop = pollLoop(ctx).catch((err: unknown) => ctx.logger.error('telegram poll loop crashed', { channel_id: ctx.channelId, error: err }));
    },
    async stop() {
      await loop;
      loop = null;
    },
    checkMessage(message) {
      const chat = message.conversation_id ?? defaultChat;
      if (chat === undefined || chat === '') return 'conversation_id is required (this channel has no default_chat_id)';
      if (allowed && !allowed.has(chat)) return 'conversation_id is not one of the channel\'s allowed_chat_ids';
      return null;
    },
    async send(message, signal) {
      const chat = (message.conversation_id ?? defaultChat)!;
      let messageId: string | undefined;
      for (const part of splitText(message.text)) {
        const result = await callHonouringRetryAfter(() =>
          api.call('sendMessage', { chat_id: chat, text: part }, { timeoutMs: requestTimeoutMs, signal }),
          signal,
        );
        const id = (result as { message_id?: unknown } | null)?.message_id;
        if (typeof id === 'number' || typeof id === 'string') messageId = String(id);
      }
      return messageId === undefined ? { conversation_id: chat } : { conversation_id: chat, message_id: messageId };
    },
  };
}

/**
 * Retries only a 429 (Telegram did not process it, so no duplicate), waiting `retry_after`,
 * at most twice; the delivery deadline (`signal`) still bounds the whole. Other failures are
 * not retried: a timed-out send may have been delivered.
 */
async function callHonouringRetryAfter(call: () => Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof TelegramApiError) || err.retryAfterS === undefined || attempt >= 2 || signal.aborted) throw err;
      await sleep(Math.min(err.retryAfterS * 1000, MAX_RETRY_AFTER_MS), signal);
      if (signal.aborted) throw err;
    }
  }
}

/** A message or channel post with text (or a caption) → an inbound message; anything else → null. */
function toInbound(update: Record<string, unknown>): InboundMessage | null {
  const m = (update.message ?? update.channel_post) as Record<string, unknown> | undefined;
  if (!m || typeof m !== 'object') return null;
  const text = typeof m.text === 'string' ? m.text : typeof m.caption === 'string' ? m.caption : null;
  const chat = m.chat as { id?: unknown; title?: unknown } | undefined;
  if (text === null || text === '' || !chat || (typeof chat.id !== 'number' && typeof chat.id !== 'string')) return null;
  const from = m.from as { id?: unknown; username?: unknown; first_name?: unknown; last_name?: unknown } | undefined;
  const name = [from?.first_name, from?.last_name].filter((s) => typeof s === 'string' && s).join(' ');
  const author = typeof from?.username === 'string' ? from.username : name || (typeof chat.title === 'string' ? chat.title : '');
  const message: InboundMessage = { conversation_id: String(chat.id), author, text };
  if (typeof from?.id === 'number' || typeof from?.id === 'string') message.author_id = String(from.id);
  if (typeof m.message_id === 'number') message.message_id = String(m.message_id);
  return message;
}

/** Parts of at most MAX_TEXT UTF-16 units, never splitting a surrogate pair. */
function splitText(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + MAX_TEXT, text.length);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts.length ? parts : [''];
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
