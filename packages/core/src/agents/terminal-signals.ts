/** A terminal signal an agent CLI sends (SPEC §17): an OSC string or a bare BEL. */
export type TerminalSignal = { kind: 'osc'; code: number; text: string } | { kind: 'bel' };

const ESC = 0x1b;
const BEL = 0x07;
/** Longer OSC strings are dropped (a notification is a line, not a payload). */
const MAX_STRING = 4096;

type Mode = 'ground' | 'esc' | 'osc' | 'osc-esc' | 'skip' | 'skip-esc';

/**
 * Finds OSC 0/2/9/777/7501… strings and BEL in a PTY byte stream, split-safe: state is
 * carried from one chunk to the next, so a sequence cut anywhere (even between ESC and
 * `]`, or inside a UTF-8 character) is still seen once, whole. DCS/SOS/PM/APC strings are
 * skipped so a BEL inside them is not a bell. Memory is bounded by `MAX_STRING`.
 */
export class TerminalSignalParser {
  private mode: Mode = 'ground';
  private buf: number[] = [];
  private overflow = false;

  push(chunk: Uint8Array): TerminalSignal[] {
    const out: TerminalSignal[] = [];
    for (const b of chunk) {
      switch (this.mode) {
        case 'ground':
          if (b === ESC) this.mode = 'esc';
          else if (b === BEL) out.push({ kind: 'bel' });
          break;
        case 'esc':
          if (b === 0x5d) this.begin('osc');
          else if (b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) this.begin('skip');
          else this.mode = b === ESC ? 'esc' : 'ground';
          break;
        case 'osc':
          if (b === BEL) this.finish(out);
          else if (b === ESC) this.mode = 'osc-esc';
          else this.collect(b);
          break;
        case 'osc-esc':
          // ESC \ ends the string; any other ESC aborts it and starts a new sequence.
          if (b === 0x5c) this.finish(out);
          else this.abort(b);
          break;
        case 'skip':
          if (b === ESC) this.mode = 'skip-esc';
          break;
        case 'skip-esc':
          this.mode = b === 0x5c ? 'ground' : b === ESC ? 'skip-esc' : 'skip';
          break;
      }
    }
    return out;
  }

  private begin(mode: 'osc' | 'skip'): void {
    this.mode = mode;
    this.buf = [];
    this.overflow = false;
  }

  private collect(b: number): void {
    if (this.buf.length < MAX_STRING) this.buf.push(b);
    else this.overflow = true;
  }

  private abort(b: number): void {
    this.buf = [];
    this.mode = 'esc';
    if (b !== ESC) this.push(Uint8Array.of(b));
  }

  private finish(out: TerminalSignal[]): void {
    this.mode = 'ground';
    if (this.overflow) return;
    const text = Buffer.from(this.buf).toString('utf8');
    this.buf = [];
    const m = /^(\d{1,5});?([\s\S]*)$/.exec(text);
    if (m) out.push({ kind: 'osc', code: Number(m[1]), text: m[2]! });
  }
}
