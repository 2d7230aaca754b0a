import type { StreamServerControl } from '@opendray/sdk/wire';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { Outbound, closeBehindBacklog } from '../ws/backpressure.js';
import { CloseCode } from '../ws/close-codes.js';
import type { BufferSlice } from './ring-buffer.js';
import type { Attachment } from './session-manager.js';
import type { EndInfo, SessionListener } from './session.js';

/** Unsent bytes a viewer may have queued; past it, it stops receiving until it drained (SPEC §5.5). */
export const VIEWER_BACKLOG_BYTES = 4 * 1024 * 1024;
/** The driver's PTY is paused above this unsent backlog… */
export const DRIVER_HIGH_WATERMARK_BYTES = 1024 * 1024;
/** …and resumed once the backlog is down to this (VS Code's pty host and ttyd work the same way). */
export const DRIVER_LOW_WATERMARK_BYTES = 256 * 1024;
/** A repaint parses up to a ring of output: at most one per viewer this often. */
const REPAINT_INTERVAL_MS = 250;

export type StreamMode = 'default' | 'v2';

export interface StreamViewerOptions {
  mode: StreamMode;
  /** A driver that reads nothing this long loses the lease; a viewer is closed with 1013. */
  stallMs: number;
  logger: Logger;
  sessionId: string;
  /** @default VIEWER_BACKLOG_BYTES */
  limitBytes?: number;
}

/**
 * One `/stream` client (SPEC §5.5), in one of two roles:
 * - **viewer**: live chunks are queued only while its backlog is under the bound; past it
 *   it stops receiving, and once its socket drained to a quarter of the bound it is
 *   resynced from where it stood — from the ring when the ring still holds that byte,
 *   else v2 gets a `gap` and default mode a reset plus a repaint of the current screen.
 *   The PTY and the other clients never wait for it; one that stops reading for the stall
 *   bound is closed with 1013 behind its backlog.
 * - **driver** (holds the session's lease): lossless. Every chunk is sent; the PTY is paused
 *   while the unsent backlog is above the high watermark and resumed at the low one. A
 *   driver that stops reading for the stall bound loses the lease (the session goes on)
 *   and may claim it again only after it drained.
 */
export class StreamViewer implements SessionListener {
  private readonly out: Outbound;
  private readonly limitBytes: number;
  private attachment: Attachment | null = null;
  /** Offset just past the last byte sent: a chunk already covered is not sent twice. */
  private sentTo = 0;
  /** Stopped receiving live chunks; a resync is due once the socket drained. */
  private lagging = false;
  private repainting = false;
  private lastRepaintAt = 0;
  private retry: NodeJS.Timeout | null = null;
  private pendingEnd: EndInfo | null = null;
  private driver = false;
  private ptyPaused = false;
  /** Lost the lease for not reading: it must drain before it may claim again. */
  private stalled = false;
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: StreamViewerOptions,
  ) {
    this.limitBytes = opts.limitBytes ?? VIEWER_BACKLOG_BYTES;
    this.out = new Outbound(ws, { stallMs: opts.stallMs, onStall: () => this.onStall() });
    this.out.onWritten(() => this.onWritten());
    ws.once('close', () => this.close());
  }

  /** When the peer was last seen reading (the heartbeat counts it as an answer). */
  get lastReadAt(): number {
    return this.out.lastReadAt;
  }

  /** Sends the greeting and the backlog; live chunks follow through `data`. */
  start(attachment: Attachment, since: number | undefined, flow = false): void {
    if (this.done) return attachment.detach(); // the socket closed while attaching
    this.attachment = attachment;
    const { backlog, session } = attachment;
    if (this.opts.mode === 'v2') {
      // hello.cursor is where the client stands: what it asked for, then a gap up to what
      // the ring still holds; without `since`, the ring's oldest byte.
      const lost = since !== undefined && since < backlog.start;
      this.control({ type: 'hello', cursor: lost ? since : backlog.start, cols: session.cols, rows: session.rows, state: session.state });
      if (lost) this.control({ type: 'gap', from: since, to: backlog.start });
    }
    this.sendSlice(backlog);
    if (flow) this.claim(true);
    if (attachment.ended) this.ended(attachment.ended);
  }

  /**
   * Asks for the driver lease: `explicit` for `?flow=ack` / a v2 `flow` frame, implicit when
   * the client typed. The endpoint calls this only for principals with `session:input`.
   */
  claim(explicit: boolean): void {
    if (this.done || !this.attachment || this.stalled) return;
    this.driver = this.attachment.flow.claim(explicit);
  }

  /** Gives the lease back (v2 `{"type":"flow","mode":"none"}`). */
  release(): void {
    this.attachment?.flow.release();
    this.leaseLost();
  }

  leaseLost(): void {
    this.driver = false;
    this.ptyPaused = false;
  }

  data(chunk: Buffer, offset: number): void {
    if (this.done || !this.attachment || this.lagging) return;
    const end = offset + chunk.length;
    if (end <= this.sentTo) return;
    if (offset < this.sentTo) chunk = chunk.subarray(this.sentTo - offset);
    if (!this.driver && this.out.backlog > this.limitBytes) {
      this.lagging = true;
      return;
    }
    this.out.send(chunk);
    this.sentTo = end;
    if (this.driver && !this.ptyPaused && this.out.backlog > DRIVER_HIGH_WATERMARK_BYTES) {
      this.ptyPaused = true;
      this.attachment.flow.pause();
    }
  }

  resize(cols: number, rows: number): void {
    if (this.opts.mode === 'v2' && !this.done) this.control({ type: 'resize', cols, rows });
  }

  ended(info: EndInfo): void {
    if (this.done || this.pendingEnd) return;
    this.pendingEnd = info;
    // What it missed comes first, whatever its backlog: nothing follows the end.
    if (this.lagging) this.resync(true);
    else this.sendEnd();
  }

  /** Sends a v2 control frame. */
  control(frame: StreamServerControl): void {
    this.out.send(JSON.stringify(frame));
  }

  private onWritten(): void {
    const backlog = this.out.backlog;
    if (this.ptyPaused && backlog <= DRIVER_LOW_WATERMARK_BYTES) {
      this.ptyPaused = false;
      this.attachment?.flow.resume();
    }
    if (this.stalled && backlog <= DRIVER_LOW_WATERMARK_BYTES) this.stalled = false;
    if (this.lagging && backlog <= this.limitBytes / 4) this.resync(false);
  }

  private onStall(): void {
    const seconds = Math.round(this.opts.stallMs / 1000);
    if (this.driver) {
      // Terminal semantics end where the reader is gone: the session must not freeze (SPEC §5.5).
      this.opts.logger.info('stream driver stopped reading; flow control released', { session_id: this.opts.sessionId, stall_ms: this.opts.stallMs });
      this.attachment?.flow.release();
      this.leaseLost();
      this.stalled = true;
      return;
    }
    this.opts.logger.info('stream viewer stopped reading; closed', { session_id: this.opts.sessionId, stall_ms: this.opts.stallMs });
    this.close();
    closeBehindBacklog(this.ws, CloseCode.tryAgainLater, `stopped reading for ${seconds} s`, this.opts.stallMs);
  }

  /** Brings a lagging client back to live output; `now` skips the repaint rate limit (the end). */
  private resync(now: boolean): void {
    if (!this.attachment || this.repainting || (this.retry && !now)) return;
    if (this.attachment.oldest() <= this.sentTo || this.opts.mode === 'v2') {
      const slice = this.attachment.read(this.sentTo);
      if (slice.start > this.sentTo) this.control({ type: 'gap', from: this.sentTo, to: slice.start });
      return this.caughtUp(slice);
    }
    const wait = this.lastRepaintAt + REPAINT_INTERVAL_MS - Date.now();
    if (!now && wait > 0) {
      this.retry ??= setTimeout(() => {
        this.retry = null;
        if (this.lagging && !this.done) this.resync(false);
      }, wait).unref();
      return;
    }
    this.repaint();
  }

  /** Default mode lost bytes: a reset and the current screen, then the ring after it. */
  private repaint(): void {
    this.repainting = true;
    this.lastRepaintAt = Date.now();
    const attachment = this.attachment!;
    attachment.repaint().then(
      ({ ansi, cursor }) => this.repainted(Buffer.from(ansi), cursor),
      (err: unknown) => {
        this.opts.logger.warn('stream repaint failed; resending the ring', { session_id: this.opts.sessionId, error: err });
        const ring = attachment.read(0);
        this.repainted(Buffer.from('\x18\x1bc'), ring.start);
      },
    );
  }

  private repainted(screen: Buffer, cursor: number): void {
    this.repainting = false;
    if (this.done) return;
    this.out.send(screen);
    this.sentTo = cursor;
    // The ring moved past the repaint while it was drawn (a flood): still lagging, the
    // next drain repaints again — a slow viewer sees a lower frame rate, like tmux.
    if (this.attachment!.oldest() <= cursor) this.caughtUp(this.attachment!.read(cursor));
    else if (this.pendingEnd) this.resync(true);
  }

  private caughtUp(slice: BufferSlice): void {
    this.lagging = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.sendSlice(slice);
    if (this.pendingEnd) this.sendEnd();
  }

  private sendSlice(slice: BufferSlice): void {
    if (slice.bytes.length > 0) this.out.send(slice.bytes);
    this.sentTo = slice.cursor;
  }

  private sendEnd(): void {
    const info = this.pendingEnd!;
    if (this.opts.mode === 'v2') {
      this.control({ type: 'ended', exit_code: info.exit_code, signal: info.signal ?? null, cursor: info.cursor, state: info.state });
    } else {
      this.out.send(JSON.stringify({ type: 'ended', exit_code: info.exit_code }));
    }
    this.close();
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CloseCode.normal, 'session ended');
  }

  /** Stops listening (socket closed, session ended, dropped). */
  private close(): void {
    if (this.done) return;
    this.done = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.out.stop();
    this.attachment?.detach();
  }
}
