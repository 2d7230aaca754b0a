import { describe, expect, it } from 'vitest';
import { eventFrame } from '../src/bus/frame.js';
import { createLocalBus } from '../src/bus/local-bus.js';
import { anyTopicMatches, topicMatches } from '../src/bus/topics.js';
import { isTopic, type BusEvent } from '../src/bus/types.js';
import { systemClock } from '../src/clock.js';

const bus = (opts: { logSize?: number; logBytes?: number; onListenerError?: (err: unknown, topic: string) => void } = {}) =>
  createLocalBus({ clock: systemClock, ...opts });

describe('topic patterns (SPEC §6)', () => {
  it('matches `*`, trailing `.*` and exact names only', () => {
    expect(topicMatches('*', 'session.output')).toBe(true);
    expect(topicMatches('session.*', 'session.output')).toBe(true);
    expect(topicMatches('session.*', 'sessions.output')).toBe(false);
    expect(topicMatches('session.*', 'session')).toBe(false);
    expect(topicMatches('session.idle', 'session.idle')).toBe(true);
    expect(topicMatches('session.idle', 'session.idle2')).toBe(false);
    expect(anyTopicMatches(['channel.*', 'session.idle'], 'session.idle')).toBe(true);
    expect(anyTopicMatches(['channel.*'], 'session.idle')).toBe(false);
  });
});

describe('local bus', () => {
  it('numbers events by one from 1, stamps RFC 3339 time and keeps the tenant off the frame', () => {
    const b = bus();
    expect(b.seq).toBe(0);
    const e1 = b.publish<string>('session.started', { session_id: 'ses_1' }, { tenant: 'int_a' });
    const e2 = b.publish<string>('session.idle', { session_id: 'ses_1' });
    expect([e1.seq, e2.seq, b.seq]).toEqual([1, 2, 2]);
    expect(e1.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(e1.tenant).toBe('int_a');
    expect(e2).not.toHaveProperty('tenant');
    expect(JSON.parse(eventFrame(e1).toString())).toEqual({ topic: 'session.started', ts: e1.ts, data: { session_id: 'ses_1' }, seq: 1 });
  });

  it('delivers an event once to a subscriber whose patterns overlap, and only matching topics', () => {
    const b = bus();
    const got: string[] = [];
    b.subscribe(['session.*', 'session.output', '*'], (e) => got.push(`${e.seq}:${e.topic}`));
    const justIdle: number[] = [];
    b.subscribe('session.idle', (e) => justIdle.push(e.seq));
    b.publish<string>('session.output', {});
    b.publish<string>('session.idle', {});
    b.publish<string>('channel.message_sent', {});
    expect(got).toEqual(['1:session.output', '2:session.idle', '3:channel.message_sent']);
    expect(justIdle).toEqual([2]);
  });

  it('keeps publish order for every listener, also when a listener publishes', () => {
    const b = bus();
    const first: number[] = [];
    const second: number[] = [];
    b.subscribe('*', (e) => {
      first.push(e.seq);
      if (e.topic === 'a.one') b.publish<string>('a.two', {});
    });
    b.subscribe('*', (e) => second.push(e.seq));
    b.publish<string>('a.one', {});
    b.publish<string>('a.three', {});
    expect(first).toEqual([1, 2, 3]);
    expect(second).toEqual([1, 2, 3]);
  });

  it('isolates a throwing listener from the publisher and the other listeners', () => {
    const errors: string[] = [];
    const b = bus({ onListenerError: (_err, topic) => errors.push(topic) });
    const got: number[] = [];
    b.subscribe('*', () => {
      throw new Error('boom');
    });
    b.subscribe('*', (e) => got.push(e.seq));
    expect(() => b.publish<string>('x.y', {})).not.toThrow();
    expect(got).toEqual([1]);
    expect(errors).toEqual(['x.y']);
  });

  it('encodes data JSON cannot represent as {} instead of breaking the publisher', () => {
    const errors: unknown[] = [];
    const b = bus();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    // Publishing never encodes, so it cannot fail; the encoder reports and sends {}.
    const e = b.publish<string>('x.cyclic', cyclic);
    expect(JSON.parse(eventFrame(e, (err) => errors.push(err)).toString()).data).toEqual({});
    expect(errors).toHaveLength(1);
  });

  it('unsubscribes, and on/off work with patterns for embedders', () => {
    const b = bus();
    const got: number[] = [];
    const off = b.subscribe('*', (e) => got.push(e.seq));
    b.publish<string>('a.b', {});
    off();
    b.publish<string>('a.b', {});
    const viaOn: string[] = [];
    const fn = (e: BusEvent): void => void viaOn.push(e.topic);
    b.on('session.*', fn);
    b.on('session.*', fn); // registering twice still means one delivery
    b.publish<string>('session.idle', {});
    b.publish<string>('channel.message_sent', {});
    b.off('session.*', fn);
    b.publish<string>('session.idle', {});
    expect(got).toEqual([1]);
    expect(viaOn).toEqual(['session.idle']);
  });

  it('replays what came after `since`, with no gap while the log reaches back', () => {
    const b = bus({ logSize: 5 });
    for (let i = 0; i < 4; i++) b.publish<string>('a.b', { i });
    expect(b.replay(0)).toEqual({ events: expect.any(Array), gap: null });
    expect(b.replay(0).events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(b.replay(2).events.map((e) => e.seq)).toEqual([3, 4]);
    expect(b.replay(4)).toEqual({ events: [], gap: null });
    expect(b.replay(99)).toEqual({ events: [], gap: null });
  });

  it('reports the range the count-bounded log no longer holds', () => {
    const b = bus({ logSize: 5 });
    for (let i = 0; i < 12; i++) b.publish<string>('a.b', { i });
    const r = b.replay(3);
    expect(r.gap).toEqual({ from: 4, to: 7 });
    expect(r.events.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(b.replay(7).gap).toBeNull();
    expect(b.replay(-5).gap).toEqual({ from: 1, to: 7 });
  });

  it('bounds the log in bytes too, always keeping the newest event', () => {
    const b = bus({ logSize: 1000, logBytes: 10_000 });
    for (let i = 0; i < 10; i++) b.publish<string>('session.output', { data: 'x'.repeat(3000) });
    const r = b.replay(0);
    const kept = r.events.map((e) => e.seq);
    expect(kept.at(-1)).toBe(10);
    expect(kept.length).toBeLessThanOrEqual(3);
    expect(r.gap).toEqual({ from: 1, to: kept[0]! - 1 });
    const huge = b.publish<string>('session.output', { data: 'y'.repeat(50_000) });
    expect(b.replay(10).events).toEqual([huge]);
  });

  it('has an epoch per instance', () => {
    expect(bus().epoch).not.toBe(bus().epoch);
    expect(bus().epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });
});

describe('typed topics (one schema per topic, @opendray/sdk/wire)', () => {
  it('type-checks every publish against its topic; an embedder topic takes any object', () => {
    const b = createLocalBus({ clock: systemClock });
    const e = b.publish('session.idle', { session_id: 'ses_1', idle_for_ms: 5 });
    expect(e.data.idle_for_ms).toBe(5);
    // @ts-expect-error a gateway topic needs its declared payload
    b.publish('session.idle', { session_id: 'ses_1' });
    // @ts-expect-error an undeclared topic in a gateway namespace is a typo, not a new topic
    b.publish('session.endd', {});
    expect(b.publish('myapp.deployed', { anything: 1 }).seq).toBe(3 + 1);
    const seen: number[] = [];
    b.subscribe('session.*', (ev) => {
      if (isTopic(ev, 'session.idle')) seen.push(ev.data.idle_for_ms);
    });
    b.publish('session.idle', { session_id: 'ses_2', idle_for_ms: 7 });
    expect(seen).toEqual([7]);
  });
});
