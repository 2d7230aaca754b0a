import serializeModule from '@xterm/addon-serialize';
import headlessModule from '@xterm/headless';
import type { Screen } from '@opendray/sdk/wire';
import { createSerialQueue } from '../serial-queue.js';
import type { RingBuffer } from './ring-buffer.js';

type Terminal = InstanceType<typeof headlessModule.Terminal>;
type Size = { cols: number; rows: number };

const MAX_RESIZE_MARKS = 32;

/**
 * The rendered screen of a session (SPEC §4 `/screen`): a headless xterm fed from the
 * ring. Feeding is lazy — the emulator is created and caught up only when someone asks —
 * so a busy session pays no parsing cost on its output path and an idle one holds no
 * emulator. Resizes are remembered by cursor so replayed output is laid out at the size
 * it was printed at. When more than a ring's worth of output went by since the last
 * catch-up, the emulator restarts from the ring's oldest byte (what a fresh viewer sees).
 */
export class SessionScreen {
  private term: Terminal | null = null;
  private serializer: InstanceType<typeof serializeModule.SerializeAddon> | null = null;
  private title = '';
  private fedTo = 0;
  /** Size in effect before the oldest mark. */
  private base: Size;
  private marks: Array<Size & { at: number; seq: number }> = [];
  private markSeq = 0;
  /** The newest mark already applied to the emulator. */
  private appliedSeq = 0;
  private readonly queue = createSerialQueue();

  constructor(size: Size) {
    this.base = { ...size };
  }

  /** Records that from byte `at` on, output is laid out at `cols`×`rows`. */
  noteResize(at: number, cols: number, rows: number): void {
    this.marks.push({ at, cols, rows, seq: ++this.markSeq });
    if (this.marks.length > MAX_RESIZE_MARKS) this.base = this.marks.shift()!;
  }

  /** The screen as text lines, cursor, alternate-screen flag and title. */
  snapshot(ring: RingBuffer): Promise<Screen> {
    return this.serial(async () => {
      const term = await this.catchUp(ring);
      const buf = term.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < term.rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
      return {
        cols: term.cols,
        rows: term.rows,
        cursor: { x: buf.cursorX, y: buf.cursorY },
        alt_screen: buf.type === 'alternate',
        title: this.title,
        lines,
      };
    });
  }

  /** Bytes that repaint a terminal of the session's size to show this screen. */
  ansi(ring: RingBuffer): Promise<string> {
    return this.serial(async () => {
      await this.catchUp(ring);
      // Leave the alternate screen and clear first, so the repaint starts from a known state.
      return `\x1b[?1049l\x1b[H\x1b[2J${this.serializer!.serialize({ scrollback: 0 })}`;
    });
  }

  dispose(): void {
    this.term?.dispose();
    this.term = null;
    this.serializer = null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  private async catchUp(ring: RingBuffer): Promise<Terminal> {
    if (!this.term || this.fedTo < ring.start || this.fedTo > ring.cursor) this.restart(ring.start);
    const term = this.term!;
    const { start, bytes, cursor } = ring.read(this.fedTo);
    let pos = start;
    for (const mark of this.marks) {
      if (mark.seq <= this.appliedSeq || mark.at > cursor) continue;
      const at = Math.max(pos, mark.at);
      await write(term, bytes.subarray(pos - start, at - start));
      term.resize(mark.cols, mark.rows);
      this.appliedSeq = mark.seq;
      pos = at;
    }
    await write(term, bytes.subarray(pos - start));
    this.fedTo = cursor;
    return term;
  }

  private restart(from: number): void {
    this.dispose();
    const size = this.sizeAt(from);
    const term = new headlessModule.Terminal({ cols: size.cols, rows: size.rows, scrollback: 0, allowProposedApi: true });
    this.serializer = new serializeModule.SerializeAddon();
    term.loadAddon(this.serializer);
    this.title = '';
    term.onTitleChange((t) => {
      this.title = t;
    });
    this.term = term;
    this.fedTo = from;
  }

  /** The size in effect at `offset`; marks up to there count as applied. */
  private sizeAt(offset: number): Size {
    let size = this.base;
    this.appliedSeq = 0;
    for (const mark of this.marks) {
      if (mark.at > offset) break;
      size = mark;
      this.appliedSeq = mark.seq;
    }
    return size;
  }
}

function write(term: Terminal, data: Uint8Array): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  return new Promise((resolve) => term.write(data, resolve));
}
