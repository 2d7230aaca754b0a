import type { WebSocket } from 'ws';

/** What `sendBounded` did with a frame. */
export type SendOutcome = 'sent' | 'overflow' | 'closed';

export interface OutboundOptions {
  /**
   * A backlog that has not moved for this long means the peer stopped reading; `onStall`
   * is called (once per such period: the clock restarts after it).
   */
  stallMs?: number;
  onStall?: () => void;
}

/**
 * The one backpressure policy of every outbound socket (ARCHITECTURE rule 9). Frames are
 * queued with a completion callback, so the socket knows when its peer takes bytes:
 * `onWritten` listeners run each time a frame reached the kernel (a driver resumes its PTY,
 * a lagging viewer is resynced), and a backlog that makes no progress for `stallMs` is a
 * peer that stopped reading. Progress is counted in completions, not by comparing
 * `bufferedAmount` samples, so a reader kept busy by a producer that refills its backlog
 * is never mistaken for a stuck one. The producer (PTY, bus) never waits here.
 */
export class Outbound {
  private lastProgress = Date.now();
  private lastRead = 0;
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(
    readonly ws: WebSocket,
    opts: OutboundOptions = {},
  ) {
    const { stallMs, onStall } = opts;
    if (stallMs !== undefined && onStall) {
      this.timer = setInterval(() => {
        if (this.ws.bufferedAmount === 0 || Date.now() - this.lastProgress < stallMs) return;
        this.lastProgress = Date.now();
        onStall();
      }, Math.min(1_000, Math.max(20, Math.floor(stallMs / 10))));
      this.timer.unref();
    }
    ws.once('close', () => this.stop());
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes queued in user space and not yet handed to the kernel. */
  get backlog(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * When the peer was last seen reading: a frame that had to wait behind a backlog reached
   * the kernel, which happens only after the peer took bytes. (A frame written at once
   * proves nothing: kernel buffers accept megabytes for a peer that reads none.)
   */
  get lastReadAt(): number {
    return this.lastRead;
  }

  /**
   * Queues a frame whatever the backlog (the caller bounds it). `binary` defaults to "a
   * Buffer is binary"; pass `false` to send UTF-8 bytes encoded once as a text frame.
   */
  send(data: Buffer | string, binary = typeof data !== 'string'): boolean {
    if (!this.open) return false;
    const waits = this.ws.bufferedAmount > 0;
    // The stall clock starts when a backlog appears, not at the last frame of long ago.
    if (!waits) this.lastProgress = Date.now();
    this.ws.send(data, { binary }, waits ? this.drained : this.written);
    return true;
  }

  /** Queues a frame only while the backlog is at most `limitBytes`; else `overflow`. */
  sendBounded(data: Buffer | string, limitBytes: number, binary = typeof data !== 'string'): SendOutcome {
    if (!this.open) return 'closed';
    if (this.ws.bufferedAmount > limitBytes) return 'overflow';
    this.send(data, binary);
    return 'sent';
  }

  /** Runs `fn` each time a frame reached the kernel; returns the function that removes it. */
  onWritten(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }

  private readonly written = (err?: Error | null): void => {
    if (err) return;
    this.lastProgress = Date.now();
    for (const fn of this.listeners) fn();
  };

  private readonly drained = (err?: Error | null): void => {
    if (!err) this.lastRead = Date.now();
    this.written(err);
  };
}

/**
 * Closes with `code` behind whatever is still queued, so a peer that starts reading again
 * within `graceMs` gets its bytes and then the code that says why; after that it is dropped.
 */
export function closeBehindBacklog(ws: WebSocket, code: number, reason: string, graceMs: number): void {
  if (ws.readyState === ws.OPEN) ws.close(code, reason);
  setTimeout(() => {
    if (ws.readyState !== ws.CLOSED) ws.terminate();
  }, graceMs).unref();
}
