import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../src/bus/local-bus.js';
import type { EventBus } from '../src/bus/types.js';
import { systemClock } from '../src/clock.js';
import { attachSubscriber } from '../src/events/subscriber.js';
import { waitFor } from './support/gateway.js';

// The local bus delivers synchronously, so a resume can never see an event twice through
// it. Another transport (SPEC §11: "a Redis bus later is only a transport") may deliver at
// least once and overlap the replay; this stand-in bus does exactly that, to show the
// subscriber's seq dedup. Sockets are real.

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A bus that delivers every event twice and, on subscribe, re-sends the last `overlap` logged events. */
function overlappingBus(real: EventBus, overlap: number): EventBus {
  return {
    get epoch() {
      return real.epoch;
    },
    get seq() {
      return real.seq;
    },
    publish: (topic, data, meta) => real.publish(topic, data, meta),
    subscribe(patterns, listener) {
      const off = real.subscribe(patterns, (e) => {
        listener(e);
        listener(e);
      });
      for (const e of real.replay(Math.max(0, real.seq - overlap)).events) listener(e);
      return off;
    },
    replay: (since) => real.replay(since),
    on: (p, l) => real.on(p, l),
    off: (p, l) => real.off(p, l),
    close: () => real.close(),
  };
}

async function subscribe(bus: EventBus, since: number | null) {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => server!.once('listening', r));
  server.on('connection', (ws) =>
    attachSubscriber(ws, { bus, patterns: ['session.*'], visible: () => true, since, now: () => new Date().toISOString(), queueBytes: 1 << 20 }),
  );
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const frames: Array<{ topic: string; seq?: number }> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString())));
  await new Promise((r) => ws.once('open', r));
  return frames;
}

describe('events subscriber: at most once over an at-least-once transport', () => {
  it('resuming: replay and overlapping live delivery give each seq once, in order', async () => {
    const real = createLocalBus({ clock: systemClock });
    const bus = overlappingBus(real, 3);
    for (let i = 0; i < 5; i++) real.publish<string>('session.output', { i });
    const frames = await subscribe(bus, 2);
    for (let i = 0; i < 3; i++) real.publish<string>('session.output', { i });
    await waitFor(() => frames.some((f) => f.seq === 8));
    expect(frames.map((f) => f.seq ?? f.topic)).toEqual(['_hello', 3, 4, 5, 6, 7, 8]);
  });

  it('live only: events already published before the connect are not sent', async () => {
    const real = createLocalBus({ clock: systemClock });
    for (let i = 0; i < 4; i++) real.publish<string>('session.idle', { i });
    const frames = await subscribe(overlappingBus(real, 4), null);
    real.publish<string>('session.idle', {});
    await waitFor(() => frames.some((f) => f.seq === 5));
    expect(frames.map((f) => f.seq ?? f.topic)).toEqual(['_hello', 5]);
  });
});
