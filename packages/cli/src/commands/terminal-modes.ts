/**
 * Watches what a session prints for the alternate screen (`CSI ? 1049/1047/47 h|l`) so a
 * detach can put the operator's terminal back: leaving an alternate screen that was never
 * entered would move the cursor (1049 restores a saved cursor), so that one is tracked;
 * the other modes a TUI may leave on are switched off unconditionally (harmless if off).
 */
export interface ModeTracker {
  feed(bytes: Uint8Array): void;
  /** Bytes that return the terminal to its normal modes. */
  restore(): string;
}

// SGR reset, cursor visible, mouse reporting off (1000/1002/1003/1006), bracketed paste off,
// normal cursor keys and keypad.
const ALWAYS = '\x1b[0m\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>';
const ALT_SCREEN = /\x1b\[\?(?:1049|1047|47)([hl])/g;
// A sequence split across two chunks is found by scanning a short tail of the previous one.
const TAIL = 16;

/** A new tracker; starts on the normal screen. */
export function createModeTracker(): ModeTracker {
  let alt = false;
  let tail = '';
  return {
    feed(bytes) {
      const text = tail + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      for (const m of text.matchAll(ALT_SCREEN)) alt = m[1] === 'h';
      tail = text.slice(-TAIL);
    },
    restore() {
      return (alt ? '\x1b[?1049l' : '') + ALWAYS;
    },
  };
}
