import * as mittModule from 'mitt';
import type { Emitter, EventType } from 'mitt';
import { randomBytes } from 'node:crypto';
import { isoTime, type Clock } from '../clock.js';
import { anyTopicMatches } from './topics.js';
import type { BusEvent, BusListener, EventBus, Replay } from './types.js';

// mitt's typings describe its CJS build; the namespace's `default` is the factory in both worlds.
const mitt = (mittModule as unknown as { default: <E extends Record<EventType, unknown>>() => Emitter<E> }).default;

export interface LocalBusOptions {
  clock: Clock;
  /** Events kept for `since` replays. @default 10000 */
  logSize?: number;
  /**
   * Encoded bytes the replay log may hold; the oldest events go first past it, so 10 000
   * `session.output` chunks of 64 KiB cannot pin 640 MB. @default 33554432 (32 MiB)
   */
  logBytes?: number;
  /** Called when a listener throws (or data cannot be encoded); a listener never breaks a publisher. */
  onListenerError?: (err: unknown, topic: string) => void;
}

/**
 * The in-process bus: mitt for dispatch, a ring of the newest events (bounded in count and
 * in encoded bytes) for replay. Guarantees: `seq` increases by one per publish; every
 * listener sees events in seq order, also when a listener publishes while being called
 * (the nested event is delivered after the current one, not in the middle of it).
 */
export function createLocalBus({ clock, logSize = 10_000, logBytes = 32 * 1024 * 1024, onListenerError }: LocalBusOptions): EventBus {
  if (!Number.isInteger(logSize) || logSize < 1) throw new TypeError(`logSize must be an integer >= 1 (got ${logSize})`);
  const emitter = mitt<{ event: BusEvent }>();
  const log: (BusEvent | undefined)[] = new Array(logSize);
  const sizes = new Float64Array(logSize);
  const epoch = randomBytes(6).toString('base64url');
  let seq = 0;
  let oldest = 1; // seq of the oldest event still in the log (oldest > seq: log empty)
  let bytes = 0;
  const named = new Map<string, Map<BusListener, () => void>>();
  const pending: BusEvent[] = [];
  let dispatching = false;

  const evictOldest = (): void => {
    const slot = oldest % logSize;
    bytes -= sizes[slot]!;
    sizes[slot] = 0;
    log[slot] = undefined;
    oldest++;
  };

  const record = (event: BusEvent): void => {
    if (event.seq - oldest + 1 > logSize) evictOldest();
    const slot = event.seq % logSize;
    // An estimate, not the encoded frame: encoding happens only if a subscriber sends it.
    const size = approximateBytes(event.data) + event.topic.length + 64;
    log[slot] = event;
    sizes[slot] = size;
    bytes += size;
    // Keep at least the newest event, however large, so a resume right after it works.
    while (bytes > logBytes && oldest < event.seq) evictOldest();
  };

  const dispatch = (event: BusEvent): void => {
    pending.push(event);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let next = pending.shift(); next; next = pending.shift()) emitter.emit('event', next);
    } finally {
      dispatching = false;
    }
  };

  const subscribe = (patterns: string | readonly string[], listener: BusListener): (() => void) => {
    const list = typeof patterns === 'string' ? [patterns] : [...patterns];
    const handler = (event: BusEvent): void => {
      if (!anyTopicMatches(list, event.topic)) return;
      try {
        listener(event);
      } catch (err) {
        onListenerError?.(err, event.topic);
      }
    };
    emitter.on('event', handler);
    return () => emitter.off('event', handler);
  };

  return {
    epoch,
    get seq() {
      return seq;
    },
    publish(topic, data, meta) {
      const event: BusEvent = { topic, ts: isoTime(clock.now()), data: data as Record<string, unknown>, seq: ++seq };
      if (meta?.tenant) event.tenant = meta.tenant;
      record(event);
      dispatch(event);
      return event as BusEvent<typeof data>;
    },
    subscribe,
    replay(since): Replay {
      const after = Number.isFinite(since) ? Math.max(0, Math.floor(since)) : 0;
      const events: BusEvent[] = [];
      for (let s = Math.max(after + 1, oldest); s <= seq; s++) events.push(log[s % logSize]!);
      const gap = after + 1 < oldest ? { from: after + 1, to: oldest - 1 } : null;
      return { events, gap };
    },
    on(pattern, listener) {
      const byListener = named.get(pattern) ?? new Map<BusListener, () => void>();
      named.set(pattern, byListener);
      if (!byListener.has(listener)) byListener.set(listener, subscribe(pattern, listener));
    },
    off(pattern, listener) {
      const byListener = named.get(pattern);
      byListener?.get(listener)?.();
      byListener?.delete(listener);
      if (byListener?.size === 0) named.delete(pattern);
    },
    close() {
      emitter.all.clear();
      named.clear();
    },
  };
}

/**
 * Roughly what a value weighs in the log (string lengths plus a little per value), walked
 * to a small depth: cheap enough for every publish, close enough to bound memory.
 */
function approximateBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length + 2;
  if (value === null || typeof value !== 'object') return 8;
  if (depth >= 3) return 64;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value) total += approximateBytes(item, depth + 1) + 1;
    return total;
  }
  for (const key in value) total += key.length + 4 + approximateBytes((value as Record<string, unknown>)[key], depth + 1);
  return total;
}
