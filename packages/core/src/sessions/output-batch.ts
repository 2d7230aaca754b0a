/** Output handed to listeners in one piece at most. */
const MAX_BATCH_BYTES = 256 * 1024;
/** A PTY read this long means more output is waiting (the kernel hands out ~4 KiB per read). */
const FULL_READ_BYTES = 4000;
const BATCH_WINDOW_MS = 2;

/**
 * Gathers PTY reads for the live listeners (stream viewers). A read returns at most
 * ~4 KiB; while reads come back full (a flood) they are gathered for up to 2 ms, so a
 * viewer gets one WebSocket frame — one syscall — per window rather than per read. A
 * short read (a keystroke's echo, the end of a burst) is delivered at the end of the
 * current event-loop turn, so interactive latency does not change.
 */
export class OutputBatcher {
  private parts: Buffer[] = [];
  private bytes = 0;
  private offset = 0;
  private soon: NodeJS.Immediate | null = null;
  private later: NodeJS.Timeout | null = null;

  constructor(private readonly deliver: (chunk: Buffer, offset: number) => void) {}

  /** Adds a chunk whose first byte is at `offset` (chunks arrive contiguous). */
  push(chunk: Buffer, offset: number): void {
    if (this.parts.length === 0) this.offset = offset;
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= MAX_BATCH_BYTES) this.flush();
    else if (chunk.length < FULL_READ_BYTES) this.soon ??= setImmediate(() => this.flush());
    else this.later ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
  }

  /** Delivers what is gathered now (before a new listener joins, a resize, the end). */
  flush(): void {
    if (this.soon) clearImmediate(this.soon);
    if (this.later) clearTimeout(this.later);
    this.soon = null;
    this.later = null;
    if (this.parts.length === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    this.deliver(chunk, this.offset);
  }

  /** Drops what is gathered without delivering it. */
  dispose(): void {
    this.parts = [];
    this.bytes = 0;
    this.flush();
  }
}
