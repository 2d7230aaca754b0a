/** One coalesced run of output: bytes `[offset, offset + bytes.length)` of a session's stream. */
export interface OutputRun {
  offset: number;
  bytes: Buffer;
}

export interface OutputCoalescerOptions {
  publish(run: OutputRun): void;
  /** @default 65_536 (SPEC §6: ≤ 64 KiB) */
  maxBytes?: number;
  /** @default 50 (SPEC §6: ≤ 50 ms) */
  maxDelayMs?: number;
}

/**
 * Coalesces PTY chunks into `session.output` runs of at most `maxBytes`, published at most
 * `maxDelayMs` after their first byte arrived. A run never ends inside a multi-byte UTF-8
 * character (the incomplete tail waits for the next run), so each run's `data` decodes
 * cleanly; only `flush(true)` (the process exited) or a tail that stayed incomplete for a
 * whole period is published as is.
 */
export class OutputCoalescer {
  private parts: Buffer[] = [];
  private size = 0;
  private offset = 0;
  private timer: NodeJS.Timeout | null = null;
  /** True while only an incomplete tail waits and nothing new arrived. */
  private holding = false;
  private readonly maxBytes: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: OutputCoalescerOptions) {
    this.maxBytes = options.maxBytes ?? 65_536;
    this.maxDelayMs = options.maxDelayMs ?? 50;
  }

  /** Adds a chunk whose first byte is at `offset` (chunks arrive contiguous). */
  push(chunk: Buffer, offset: number): void {
    if (chunk.length === 0) return;
    if (this.size === 0) this.offset = offset;
    this.holding = false;
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= this.maxBytes) this.emitFull();
    if (this.size > 0) this.timer ??= setTimeout(() => this.onTimer(), this.maxDelayMs);
  }

  /** Publishes what is pending; `final` also publishes an incomplete trailing character. */
  flush(final = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.size === 0) return;
    const all = this.take();
    const cut = final ? all.length : completeLength(all);
    if (cut > 0) this.emit(all.subarray(0, cut));
    if (cut < all.length) this.keep(all.subarray(cut), this.offset + cut);
  }

  /** Stops the timer without publishing (the session is being forgotten). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.parts = [];
    this.size = 0;
  }

  private onTimer(): void {
    this.timer = null;
    // A tail still incomplete after a whole quiet period will not complete: publish it as is.
    this.flush(this.holding);
    this.holding = this.size > 0;
    if (this.holding) this.timer = setTimeout(() => this.onTimer(), this.maxDelayMs);
  }

  private emitFull(): void {
    let all = this.take();
    let offset = this.offset;
    while (all.length >= this.maxBytes) {
      const cut = completeLength(all.subarray(0, this.maxBytes)) || this.maxBytes;
      this.options.publish({ offset, bytes: all.subarray(0, cut) });
      all = all.subarray(cut);
      offset += cut;
    }
    if (all.length > 0) this.keep(all, offset);
  }

  private emit(bytes: Buffer): void {
    this.options.publish({ offset: this.offset, bytes });
  }

  private take(): Buffer {
    const all = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return all;
  }

  private keep(rest: Buffer, offset: number): void {
    this.parts = [rest];
    this.size = rest.length;
    this.offset = offset;
  }
}

/** The length of the longest prefix of `buf` that does not end inside a UTF-8 character. */
export function completeLength(buf: Buffer): number {
  const len = buf.length;
  // Look back at most 3 bytes for the lead byte of the last character.
  for (let i = len - 1; i >= Math.max(0, len - 4); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
    return i + need > len ? i : len;
  }
  return len;
}
