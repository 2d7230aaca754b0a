/** A slice of a session's output: bytes `[start, start + bytes.length)` of its stream. */
export interface BufferSlice {
  /** Offset of the first byte returned (greater than the asked `since` when bytes were lost). */
  start: number;
  bytes: Buffer;
  /** Offset just past the newest byte: the next `since`. */
  cursor: number;
}

const INITIAL_BYTES = 4096;

/**
 * The per-session ring of raw PTY bytes (SPEC §5.4) with a monotonically increasing byte
 * cursor. Storage grows by doubling up to `capacity`, so 200 idle sessions do not each
 * hold a full ring; once full, the oldest bytes are overwritten in place (no copying of
 * the whole ring per write).
 */
export class RingBuffer {
  private data: Buffer;
  /** Bytes held, ≤ capacity. */
  private size = 0;
  /** Index in `data` of the oldest byte held. */
  private head = 0;
  private end: number;

  /** `restored` seeds the ring with a saved tail (after a restart) so the cursor continues. */
  constructor(
    readonly capacity: number,
    restored?: { start: number; bytes: Buffer },
  ) {
    this.end = 0;
    this.data = Buffer.allocUnsafe(Math.min(capacity, INITIAL_BYTES));
    if (restored) {
      this.end = restored.start;
      this.write(restored.bytes);
    }
  }

  /** Offset just past the newest byte: the total number of bytes ever written. */
  get cursor(): number {
    return this.end;
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return this.end - this.size;
  }

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.capacity) {
      // Only the newest `capacity` bytes survive.
      if (this.data.length < this.capacity) this.data = Buffer.allocUnsafe(this.capacity);
      chunk.copy(this.data, 0, chunk.length - this.capacity);
      this.head = 0;
      this.size = this.capacity;
      this.end += chunk.length;
      return;
    }
    this.ensure(Math.min(this.capacity, this.size + chunk.length));
    const len = this.data.length;
    let tail = (this.head + this.size) % len;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, len - tail);
      chunk.copy(this.data, tail, offset, offset + n);
      offset += n;
      tail = (tail + n) % len;
    }
    const overflow = this.size + chunk.length - len;
    if (overflow > 0) {
      this.head = (this.head + overflow) % len;
      this.size = len;
    } else {
      this.size += chunk.length;
    }
    this.end += chunk.length;
  }

  /**
   * The bytes from `max(since, start)` to the cursor, copied out. Without `since`, the
   * whole ring; `since` beyond the cursor yields nothing, positioned at the cursor.
   */
  read(since?: number): BufferSlice {
    const from = Math.min(Math.max(since ?? this.start, this.start), this.end);
    const count = this.end - from;
    const out = Buffer.allocUnsafe(count);
    const len = this.data.length;
    let index = (this.head + (from - this.start)) % len;
    let written = 0;
    while (written < count) {
      const n = Math.min(count - written, len - index);
      this.data.copy(out, written, index, index + n);
      written += n;
      index = (index + n) % len;
    }
    return { start: from, bytes: out, cursor: this.end };
  }

  /** Grows the storage (doubling) so it can hold `needed` bytes, unwrapping it first. */
  private ensure(needed: number): void {
    if (needed <= this.data.length) return;
    let next = this.data.length;
    while (next < needed) next *= 2;
    const grown = Buffer.allocUnsafe(Math.min(next, this.capacity));
    const held = this.read();
    held.bytes.copy(grown, 0);
    this.data = grown;
    this.head = 0;
  }
}
