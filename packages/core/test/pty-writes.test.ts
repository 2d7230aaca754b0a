import { describe, expect, it } from 'vitest';
import { createNodePtyBackend } from '../src/pty/node-pty-backend.js';

describe('node-pty writes never outlive the master', () => {
  it('drops writes the kernel had not taken when the session ends, so no retry hits a reused descriptor', async () => {
    const backend = createNodePtyBackend();
    // A child that never reads its input: a large write stays queued (EAGAIN) in node-pty.
    const pty = backend.spawn('/bin/sh', ['-c', 'stty -icanon -echo; sleep 1'], { name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: { PATH: '/usr/bin:/bin' }, encoding: null });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      pty.onData(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      pty.write(Buffer.alloc(1024 * 1024, 0x61));
      await new Promise<void>((resolve) => pty.onExit(() => resolve()));
      // After the end, a write is ignored rather than queued for a descriptor that is gone.
      pty.write('late');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      console.error = original;
    }
    expect(errors.filter((e) => String(e).includes('pty write error'))).toEqual([]);
  }, 20_000);
});
