import { describe, expect, it } from 'vitest';
import { createBoundedQueue } from '../src/bounded-queue.js';
import { GatewayError } from '../src/errors.js';

// The limiter under bcrypt checks and screen renders: never more than `concurrency` at once,
// never more than `maxQueued` waiting, never more than `perKey` per key — under bursts.

const full = (): GatewayError => new GatewayError('unavailable', 'full');
const keyFull = (): GatewayError => new GatewayError('rate_limited', 'key full');

describe('bounded queue', () => {
  it('runs at most `concurrency` jobs at once, even when newcomers arrive as slots free up', async () => {
    const q = createBoundedQueue({ concurrency: 2, maxQueued: 1000, full });
    let running = 0;
    let peak = 0;
    const job = async (ms: number): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
    };
    const all: Promise<void>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 10; i++) all.push(q.run(null, () => job((i % 3) + 1)));
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(q.started).toBe(200);
    expect(q.running + q.queued).toBe(0);
  });

  it('refuses past maxQueued and past perKey, and frees both when jobs end', async () => {
    const q = createBoundedQueue({ concurrency: 1, maxQueued: 2, perKey: 2, full, keyFull });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const results = await Promise.allSettled([
      q.run('a', () => gate),
      q.run('a', () => gate),
      q.run('a', () => gate), // a has 2: refused
      q.run('b', () => gate), // queued (2 waiting now)
      q.run('c', () => gate), // queue full
      (async () => {
        await new Promise((r) => setTimeout(r, 10));
        release();
      })(),
    ]);
    const codes = results.slice(0, 5).map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as GatewayError).code));
    expect(codes).toEqual(['ok', 'ok', 'rate_limited', 'ok', 'unavailable']);
    expect(await q.run('a', async () => 'again')).toBe('again');
  });
});
