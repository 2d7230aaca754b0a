import { describe, expect, it } from 'vitest';
import { createModeTracker } from '../src/commands/terminal-modes.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('terminal mode tracker (what a detach restores)', () => {
  it('leaves the alternate screen only when the session entered it', () => {
    const plain = createModeTracker();
    plain.feed(bytes('$ ls\r\nfile\r\n'));
    expect(plain.restore()).not.toContain('\x1b[?1049l');
    expect(plain.restore()).toContain('\x1b[?25h');

    const tui = createModeTracker();
    tui.feed(bytes('start\x1b[?10'));
    tui.feed(bytes('49hdrawing…'));
    expect(tui.restore().startsWith('\x1b[?1049l')).toBe(true);
    tui.feed(bytes('\x1b[?1049lback on the normal screen'));
    tui.feed(bytes('more output'));
    expect(tui.restore()).not.toContain('\x1b[?1049l');
  });
});
