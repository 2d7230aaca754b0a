import type { StreamServerControl } from '@opendray/sdk/wire';
import type { WebSocket } from 'ws';
import { sendBounded } from '../ws/backpressure.js';
import { CloseCode } from '../ws/close-codes.js';
import type { Attachment } from './session-manager.js';
import type { EndInfo, SessionListener } from './session.js';

/** Unsent bytes one viewer may have queued before it counts as too slow (SPEC §5.5). */
export const VIEWER_BACKLOG_BYTES = 4 * 1024 * 1024;
const CATCH_UP_POLL_MS = 25;
/** A default-mode viewer closed for being slow gets this long to take its close frame. */
const SLOW_CLOSE_TIMEOUT_MS = 5_000;

export type StreamMode = 'default' | 'v2';

/**
 * One `/stream` client (SPEC §5.5). Live chunks are queued on its socket only while its
 * backlog is under the bound; the PTY and the other viewers never wait for it. Past the
 * bound a default-mode client is closed with 1013; a v2 client stops receiving, and once
 * its socket drains it is caught up from the ring — with a `gap` frame only for bytes the
 * ring no longer holds — so a slow client loses nothing the ring still has.
 */
export class StreamViewer implements SessionListener {
  private attachment: Attachment | null = null;
  /** Offset of the first byte not sent, while lagging. */
  private lagFrom: number | null = null;
  /** Offset just past the last byte sent: a chunk the catch-up already covered is not sent twice. */
  private sentTo = 0;
  private poll: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly mode: StreamMode,
    private readonly limitBytes = VIEWER_BACKLOG_BYTES,
  ) {
    ws.once('close', () => this.close());
  }

  /** Sends the greeting and the backlog; live chunks follow through `data`. */
  start(attachment: Attachment, since: number | undefined): void {
    if (this.done) return attachment.detach(); // the socket closed while attaching
    this.attachment = attachment;
    const { backlog, session } = attachment;
    if (this.mode === 'v2') {
      // hello.cursor is where the client stands: what it asked for, then a gap up to what
      // the ring still holds; without `since`, the ring's oldest byte.
      const lost = since !== undefined && since < backlog.start;
      this.control({ type: 'hello', cursor: lost ? since : backlog.start, cols: session.cols, rows: session.rows, state: session.state });
      if (lost) this.control({ type: 'gap', from: since, to: backlog.start });
    }
    if (backlog.bytes.length > 0) this.ws.send(backlog.bytes, { binary: true });
    this.sentTo = backlog.cursor;
    if (attachment.ended) this.ended(attachment.ended);
  }

  data(chunk: Buffer, offset: number): void {
    if (this.done || this.lagFrom !== null) return;
    const end = offset + chunk.length;
    if (end <= this.sentTo) return;
    if (offset < this.sentTo) {
      chunk = chunk.subarray(this.sentTo - offset);
      offset = this.sentTo;
    }
    const outcome = sendBounded(this.ws, chunk, this.limitBytes);
    if (outcome !== 'overflow') {
      this.sentTo = end;
      return;
    }
    if (this.mode === 'default') {
      this.finish(CloseCode.tryAgainLater, 'client too slow');
      setTimeout(() => this.ws.terminate(), SLOW_CLOSE_TIMEOUT_MS).unref();
      return;
    }
    this.lagFrom = offset;
    this.poll = setInterval(() => {
      if (this.ws.bufferedAmount <= this.limitBytes / 4) this.catchUp();
    }, CATCH_UP_POLL_MS);
  }

  resize(cols: number, rows: number): void {
    if (this.mode === 'v2' && !this.done) this.control({ type: 'resize', cols, rows });
  }

  ended(info: EndInfo): void {
    if (this.done) return;
    this.catchUp();
    if (this.mode === 'v2') {
      this.control({ type: 'ended', exit_code: info.exit_code, signal: info.signal ?? null, cursor: info.cursor });
    } else {
      this.ws.send(JSON.stringify({ type: 'ended', exit_code: info.exit_code }));
    }
    this.finish(CloseCode.normal, 'session ended');
  }

  /** Sends what the viewer missed while lagging, from the ring; `gap` for what the ring lost. */
  private catchUp(): void {
    if (this.lagFrom === null || !this.attachment) return;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    const slice = this.attachment.read(this.lagFrom);
    if (slice.start > this.lagFrom) this.control({ type: 'gap', from: this.lagFrom, to: slice.start });
    this.lagFrom = null;
    this.sentTo = slice.cursor;
    if (slice.bytes.length > 0 && this.ws.readyState === this.ws.OPEN) this.ws.send(slice.bytes, { binary: true });
  }

  private control(frame: StreamServerControl): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private finish(code: number, reason: string): void {
    this.close();
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  /** Stops listening (socket closed, session ended). */
  private close(): void {
    if (this.done) return;
    this.done = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.attachment?.detach();
  }
}
