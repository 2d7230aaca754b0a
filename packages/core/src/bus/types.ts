/** One published fact. `seq` increases by one per event on a gateway instance (SPEC §6). */
export interface BusEvent<T extends Record<string, unknown> = Record<string, unknown>> {
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
  publish<T extends Record<string, unknown>>(topic: string, data: T, meta?: PublishMeta): BusEvent<T>;
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
