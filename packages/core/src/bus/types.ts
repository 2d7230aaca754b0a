import type { TopicName, Topics } from '@opendray/sdk/wire';

/** The namespaces whose topics the gateway owns; an embedder's own topics live outside them. */
type GatewayNamespace = 'session' | 'integration' | 'channel';

/**
 * The data a publish of `topic` must carry: the declared payload of a gateway topic
 * (`Topics` in `@opendray/sdk/wire`, one schema per topic), never anything for an
 * undeclared topic in a gateway namespace (a typo), any object for an embedder's own topic.
 */
export type PublishData<K extends string> = K extends TopicName
  ? Topics[K]
  : K extends `${GatewayNamespace}.${string}` | `_${string}`
    ? never
    : Record<string, unknown>;

/** A bus event of a declared topic, its data typed (narrow a `BusEvent` with {@link isTopic}). */
export interface TopicEvent<K extends TopicName = TopicName> extends BusEvent<Topics[K]> {
  topic: K;
}

/** Whether `event` is of `topic`: narrows its data to that topic's payload. */
export function isTopic<K extends TopicName>(event: BusEvent, topic: K): event is TopicEvent<K> & BusEvent {
  return event.topic === topic;
}

/** One published fact. `seq` increases by one per event on a gateway instance (SPEC §6). */
export interface BusEvent<T extends object = Record<string, unknown>> {
  topic: string;
  ts: string;
  data: T;
  seq: number;
  /**
   * The integration that owns what this event is about (a session's creator, the
   * integration itself). Never sent on the wire; the events endpoint filters on it (SPEC §3).
   */
  tenant?: string;
}

/** Metadata a publisher attaches; not part of the event's data. */
export interface PublishMeta {
  tenant?: string;
}

export type BusListener = (event: BusEvent) => void;

/** What `replay` could give: the events after `since`, and the range it could not. */
export interface Replay {
  events: BusEvent[];
  gap: { from: number; to: number } | null;
}

/**
 * The event bus (socket.io's adapter split): publish, subscribe by pattern, replay from a
 * bounded log. The local bus is the default; another transport implements the same.
 */
export interface EventBus {
  /** Changes every time the gateway starts, so a resuming client can tell a restart. */
  readonly epoch: string;
  /** The seq of the newest event, 0 before the first. */
  readonly seq: number;
  /**
   * Assigns the next seq, keeps the event in the bounded replay log and delivers it to
   * every matching listener, in seq order; a throwing listener never reaches the publisher.
   */
  publish<K extends string>(topic: K, data: PublishData<K>, meta?: PublishMeta): BusEvent<PublishData<K>>;
  /** Listens to every topic matching any pattern; returns the unsubscribe function. */
  subscribe(patterns: string | readonly string[], listener: BusListener): () => void;
  /**
   * Events with seq > `since` still in the log (oldest first), and the range the log no
   * longer holds when it does not reach back to `since + 1`. A `since` below 0 counts as 0.
   */
  replay(since: number): Replay;
  /** Embedder sugar: `on(pattern, fn)` / `off(pattern, fn)`. */
  on(pattern: string, listener: BusListener): void;
  off(pattern: string, listener: BusListener): void;
  close(): void;
}
