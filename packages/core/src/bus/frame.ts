import type { BusEvent } from './types.js';

// One encoding per event, shared by every subscriber and the log's byte accounting: with
// 100 subscribers an event is serialized and UTF-8 encoded once, not 100 times.
const frames = new WeakMap<BusEvent, Buffer>();

/**
 * The wire frame of an event (SPEC §6): `{"topic","ts","data","seq"}` as UTF-8 JSON (send
 * it as a text frame). The
 * publisher's `tenant` is never part of it. Encoded once per event and cached while the
 * event lives. Data JSON cannot represent (a cycle, a BigInt) becomes `{}` and `onError`
 * is told, so a bad publisher never breaks delivery to others.
 */
export function eventFrame(event: BusEvent, onError?: (err: unknown) => void): Buffer {
  const cached = frames.get(event);
  if (cached !== undefined) return cached;
  let json: string;
  try {
    json = JSON.stringify({ topic: event.topic, ts: event.ts, data: event.data, seq: event.seq });
  } catch (err) {
    onError?.(err);
    json = JSON.stringify({ topic: event.topic, ts: event.ts, data: {}, seq: event.seq });
  }
  const frame = Buffer.from(json);
  frames.set(event, frame);
  return frame;
}

/** A control frame (`_hello`, `_gap`): no `seq`, since it is not a bus event (SPEC §6). */
export function controlFrame(topic: '_hello' | '_gap', ts: string, data: Record<string, unknown>): string {
  return JSON.stringify({ topic, ts, data });
}
