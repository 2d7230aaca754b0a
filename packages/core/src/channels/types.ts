import type { ChannelCapabilities } from '@opendray/sdk/wire';

/** A message that reached a channel from the outside (SPEC §7). */
export interface InboundMessage {
  conversation_id: string;
  author: string;
  text: string;
}

/** A message to deliver through a channel. */
export interface OutboundMessage {
  conversation_id?: string;
  text: string;
}

/** What an adapter gets when it starts. */
export interface ChannelAdapterContext {
  channelId: string;
  config: Readonly<Record<string, unknown>>;
  /** Call for every inbound message; the channel turns it into events. */
  onInbound(message: InboundMessage): void;
  /** Report a fault (delivery failure, API down); shown on the channel's status. */
  onError(err: Error): void;
  signal: AbortSignal;
}

/**
 * A chat adapter (SPEC §7). Built in: `webhook`, `telegram`; an embedder registers its own
 * kinds through `createGateway({ channelAdapters })`.
 */
export interface ChannelAdapter {
  readonly capabilities: ChannelCapabilities;
  start(ctx: ChannelAdapterContext): Promise<void>;
  stop(): Promise<void>;
  /** Delivers a message; rejects when delivery failed. */
  send(message: OutboundMessage): Promise<void>;
}

export interface ChannelAdapterFactory {
  /** Config keys holding secrets, redacted for integration principals. */
  secretKeys: readonly string[];
  /** Throws a TypeError naming the bad field. */
  validateConfig(config: Record<string, unknown>): Record<string, unknown>;
  create(): ChannelAdapter;
}
