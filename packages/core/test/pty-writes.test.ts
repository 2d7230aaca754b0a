import { describe, expect, it } from 'vitest';
import { createNodePtyBackend } from '../src/pty/node-pty-backend.js';

const OPTS = { name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: { PATH: '/usr/bin:/bin' }, encoding: null } as const;

describe('node-pty writes never outlive the master', () => {
  it('drops writes the kernel had not taken when the session ends, so none reaches the next master on a reused descriptor', async () => {
    const backend = createNodePtyBackend();
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      for (let round = 0; round < 5; round++) {
        // A child that never reads its input: a large write stays queued (EAGAIN).
        const first = backend.spawn('/bin/sh', ['-c', 'stty -icanon -echo; sleep 0.5'], OPTS);
        first.onData(() => undefined);
        await new Promise((r) => setTimeout(r, 150));
        first.write(Buffer.alloc(1024 * 1024, 0x61));
        await new Promise<void>((resolve) => first.onExit(() => resolve()));
        // The next terminal opens at once, likely on the descriptor number just freed.
        const next = backend.spawn('/bin/cat', [], OPTS);
        let seen = '';
        next.onData((d) => void (seen += d.toString()));
        first.write('late-write');
        await new Promise((r) => setTimeout(r, 300));
        next.kill('SIGKILL');
        await new Promise<void>((resolve) => next.onExit(() => resolve()));
        expect(seen).not.toContain('aaaa');
        expect(seen).not.toContain('late-write');
      }
    } finally {
      console.error = original;
    }
    expect(errors.filter((e) => String(e).includes('pty write error'))).toEqual([]);
  }, 60_000);
});
