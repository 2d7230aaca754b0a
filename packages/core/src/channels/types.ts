import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelCapabilities, TSchema } from '@opendray/sdk/wire';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/** A message that reached a channel from the outside (SPEC §7). */
export interface InboundMessage {
  /** Where a reply goes (a chat id, a thread); `""` when the platform has none. */
  conversation_id: string;
  /** Who wrote it, as the platform names them; `""` when unknown. */
  author: string;
  text: string;
  /** The platform's id of the author, when it has one distinct from `author`. */
  author_id?: string;
  /** The platform's id of the message, when it has one. */
  message_id?: string;
}

/** A message to deliver through a channel. */
export interface OutboundMessage {
  conversation_id?: string;
  text: string;
}

/** What a delivery reports back; every field optional. */
export interface DeliveryResult {
  /** The conversation the message went to, when the adapter chose it (a default chat). */
  conversation_id?: string;
  message_id?: string;
}

/** The raw request that reached `POST /channels/{id}/webhook`. */
export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  /** The exact bytes received, so a signature can cover them. */
  rawBody: Buffer;
  /** When it arrived (epoch ms, the gateway's clock), for replay windows. */
  receivedAt: number;
}

/**
 * Inbound over `POST /api/v1/channels/{id}/webhook` (SPEC §7). The route reads the body
 * (size-capped), calls `authenticate` first (false → 401, nothing published), then parses
 * JSON (400 when it is not), validates it against `bodySchema` when given (400 naming the
 * field) and hands it to `parse`.
 */
export interface ChannelWebhookReceiver {
  /** Whether the request proves the channel's secret. Must compare in constant time. */
  authenticate(request: WebhookRequest): boolean;
  /** The JSON Schema an authenticated body must match before `parse` sees it (compiled once). */
  bodySchema?: TSchema;
  /** Messages in an authenticated JSON body; may throw a TypeError naming the bad field (→ 400). */
  parse(body: unknown): InboundMessage[];
}

/** What an adapter gets when it starts. */
export interface ChannelAdapterContext {
  channelId: string;
  /** Call for every inbound message; the channel turns it into events. */
  onInbound(message: InboundMessage): void;
  /**
   * Report a fault (API down, malformed answer, rejected credentials); it becomes the
   * channel's `status.last_error`. The message must not contain a secret.
   */
  onError(err: Error): void;
  /** Aborted when the channel stops: end long polls, timers and retries at once. */
  signal: AbortSignal;
  clock: Clock;
  logger: Logger;
}

/**
 * A chat adapter (SPEC §7): one instance per channel, built from the channel's validated
 * config. Built in: `webhook`, `telegram`; an embedder registers its own kinds through
 * `createGateway({ channelAdapters })`.
 */
export interface ChannelAdapter {
  readonly capabilities: ChannelCapabilities;
  /** Begins receiving (e.g. starts a poll loop in the background); resolves once running. */
  start(ctx: ChannelAdapterContext): Promise<void>;
  /** Stops receiving; the context's signal is already aborted when this is called. */
  stop(): Promise<void>;
  /**
   * Delivers a message; rejects when delivery failed (the error text must not contain a
   * secret). `signal` aborts on the gateway's delivery deadline or when the channel stops.
   */
  send(message: OutboundMessage, signal: AbortSignal): Promise<DeliveryResult | void>;
  /** Why this message cannot be sent through this channel (→ 400), or null. */
  checkMessage?(message: OutboundMessage): string | null;
  /** Present when the adapter takes inbound messages over the channel's webhook route. */
  readonly webhook?: ChannelWebhookReceiver;
}

/** Registers a kind of channel: validates its config and builds adapters from it. */
export interface ChannelAdapterFactory {
  /** Top-level config keys holding secrets, redacted as `"********"` for integrations. */
  secretKeys: readonly string[];
  /**
   * The JSON Schema of the config (compiled when the gateway starts: a bad one fails boot).
   * A config that does not match is a 400 naming the field (`config.url: must be …`)
   * before `validateConfig` runs. Keys set to `null` are left out first.
   */
  configSchema?: TSchema;
  /**
   * The config to store, with defaults filled in (e.g. a generated secret) and the rules a
   * schema cannot say (one field against another). Throws a TypeError whose message names
   * the bad field (`config.url: must be …`) → 400.
   */
  validateConfig(config: Record<string, unknown>): Record<string, unknown>;
  /** A fresh adapter for one channel; `config` has passed `validateConfig`. */
  create(config: Readonly<Record<string, unknown>>): ChannelAdapter;
}
