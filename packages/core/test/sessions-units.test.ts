import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyBytes, parseInput, stripQueryReplies, submittedMessage } from '../src/sessions/input.js';
import { OutputCoalescer, completeLength, type OutputRun } from '../src/sessions/output-events.js';
import { RingBuffer } from '../src/sessions/ring-buffer.js';
import type { PtyBackend, PtyProcess } from '../src/index.js';
import { startGateway } from './support/gateway.js';

describe('RingBuffer', () => {
  it('keeps the newest `capacity` bytes at monotonically increasing offsets, however it is fed', () => {
    for (const capacity of [1024, 5000, 65_536]) {
      const ring = new RingBuffer(capacity);
      const all: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        const chunk = randomBytes(Math.floor(Math.random() * (i % 50 === 0 ? 3 * capacity : 900)));
        ring.write(chunk);
        all.push(chunk);
        const whole = Buffer.concat(all);
        expect(ring.cursor).toBe(whole.length);
        const held = ring.read();
        expect(held.start).toBe(Math.max(0, whole.length - capacity));
        expect(held.bytes.equals(whole.subarray(held.start))).toBe(true);
        const since = Math.floor(Math.random() * (whole.length + 10));
        const part = ring.read(since);
        expect(part.start).toBe(Math.min(Math.max(since, held.start), whole.length));
        expect(part.bytes.equals(whole.subarray(part.start))).toBe(true);
      }
    }
  });

  it('continues the cursor of a restored tail', () => {
    const ring = new RingBuffer(1024, { start: 10_000, bytes: Buffer.from('abc') });
    expect(ring.read()).toMatchObject({ start: 10_000, cursor: 10_003 });
    ring.write(Buffer.from('de'));
    expect(ring.read(10_001).bytes.toString()).toBe('bcde');
  });
});

describe('OutputCoalescer', () => {
  it('never splits a UTF-8 character and keeps every run within 64 KiB', async () => {
    const runs: OutputRun[] = [];
    const c = new OutputCoalescer({ publish: (r) => runs.push(r), maxBytes: 1000, maxDelayMs: 5 });
    const text = 'héllo wörld ✓ 𝄞 '.repeat(400);
    const bytes = Buffer.from(text);
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      const n = Math.min(bytes.length - offset, 1 + ((i * 37) % 700));
      c.push(bytes.subarray(offset, offset + n), offset);
      offset += n;
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 8));
    }
    c.flush(true);
    let at = 0;
    for (const r of runs) {
      expect(r.offset).toBe(at);
      expect(r.bytes.length).toBeLessThanOrEqual(1000);
      expect(r.bytes.toString('utf8')).not.toContain('\ufffd');
      at += r.bytes.length;
    }
    expect(runs.map((r) => r.bytes.toString('utf8')).join('')).toBe(text);
  });

  it('publishes a tail that stayed incomplete for a whole quiet period', async () => {
    const runs: OutputRun[] = [];
    const c = new OutputCoalescer({ publish: (r) => runs.push(r), maxDelayMs: 5 });
    c.push(Buffer.from([0x61, 0xe2, 0x9c]), 0);
    await new Promise((r) => setTimeout(r, 40));
    expect(Buffer.concat(runs.map((r) => r.bytes))).toEqual(Buffer.from([0x61, 0xe2, 0x9c]));
    expect(completeLength(Buffer.from([0x61, 0xe2, 0x9c]))).toBe(1);
    c.dispose();
  });
});

describe('input parsing', () => {
  it('maps every named key and C-a…C-z', () => {
    expect(keyBytes('Enter')).toBe('\r');
    expect(keyBytes('Up')).toBe('\x1b[A');
    expect(keyBytes('C-a')).toBe('\x01');
    expect(keyBytes('C-z')).toBe('\x1a');
    expect(keyBytes('C-1')).toBeUndefined();
    expect(keyBytes('toString')).toBeUndefined();
    expect(parseInput({ keys: ['C-c', 'Enter'] })).toEqual({ kind: 'keys', bytes: '\x03\r' });
  });

  it('records text and line-ended data as submitted messages, nothing else', () => {
    expect(submittedMessage({ kind: 'text', text: 'hi' })).toBe('hi');
    expect(submittedMessage({ kind: 'data', data: 'ls -l\r\n' })).toBe('ls -l');
    expect(submittedMessage({ kind: 'data', data: 'ls' })).toBeUndefined();
    expect(submittedMessage({ kind: 'keys', bytes: '\r' })).toBeUndefined();
  });

  it('strips terminal query replies and keeps everything else', () => {
    const strip = (s: string) => stripQueryReplies(Buffer.from(s, 'latin1')).toString('latin1');
    expect(strip('\x1b[?62;22c\x1b[>1;10;0c\x1b[24;80R')).toBe('');
    expect(strip('a\x1b]11;rgb:0000/0000/0000\x1b\\b')).toBe('ab');
    expect(strip('\x1b[A\x1b[1;5C\x1bOP x')).toBe('\x1b[A\x1b[1;5C\x1bOP x');
  });
});

describe('a PTY backend that never reports an exit', () => {
  it('is asked to kill, and the session still ends as stopped after the grace', async () => {
    // A double: a real process always exits on SIGKILL, so only a double can show the backstop.
    const kills: string[] = [];
    const stuck: PtyProcess = {
      pid: 0,
      cols: 80,
      rows: 24,
      onData: () => ({ dispose() {} }),
      onExit: () => ({ dispose() {} }),
      write() {},
      resize() {},
      kill: (signal) => void kills.push(signal ?? 'SIGHUP'),
      pause() {},
      resume() {},
    };
    const pty: PtyBackend = { spawn: () => stuck };
    const t = await startGateway({ pty, stopGraceMs: 50, providers: [{ id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: [], submit_key: '\n', config_schema: {} }] as never });
    try {
      const created = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh' } });
      const stopped = await t.apiJson(`/sessions/${created.body.id}/stop`, { method: 'POST' });
      expect(stopped.body).toMatchObject({ state: 'stopped', signal: 'SIGKILL' });
      expect(kills).toEqual(['SIGHUP', 'SIGTERM', 'SIGKILL']);
    } finally {
      await t.close();
    }
  });
});
