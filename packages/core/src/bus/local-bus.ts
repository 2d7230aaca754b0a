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
  /** Called when a listener throws; a listener never breaks a publisher. */
  onListenerError?: (err: unknown, topic: string) => void;
}

/** The in-process bus: mitt for dispatch, a ring of the last `logSize` events for replay. */
export function createLocalBus({ clock, logSize = 10_000, onListenerError }: LocalBusOptions): EventBus {
  const emitter = mitt<{ event: BusEvent }>();
  const log: (BusEvent | undefined)[] = new Array(logSize);
  const epoch = randomBytes(6).toString('base64url');
  let seq = 0;
  const named = new Map<string, Map<BusListener, () => void>>();

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
    publish(topic, data) {
      const event = { topic, ts: isoTime(clock.now()), data, seq: ++seq };
      log[event.seq % logSize] = event;
      emitter.emit('event', event);
      return event;
    },
    subscribe,
    replay(since): Replay {
      const oldest = Math.max(1, seq - logSize + 1);
      const from = Math.max(since + 1, oldest);
      const events: BusEvent[] = [];
      for (let s = from; s <= seq; s++) events.push(log[s % logSize]!);
      const gap = since + 1 < oldest ? { from: since + 1, to: oldest - 1 } : null;
      return { events, gap };
    },
    on(pattern, listener) {
      const byListener = named.get(pattern) ?? new Map<BusListener, () => void>();
      named.set(pattern, byListener);
      if (!byListener.has(listener)) byListener.set(listener, subscribe(pattern, listener));
    },
    off(pattern, listener) {
      named.get(pattern)?.get(listener)?.();
      named.get(pattern)?.delete(listener);
    },
    close() {
      emitter.all.clear();
      named.clear();
    },
  };
}
