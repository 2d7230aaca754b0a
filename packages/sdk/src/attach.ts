import { createBackoff, sleep, type BackoffOptions } from './backoff.js';
import { isOpendrayError, OpendrayError } from './errors.js';
import { judgeSocketEnd, type RecoveryState, type SocketContext, type Verdict } from './reconnect.js';
import { openSocket, toWsUrl, type SocketEnd, type SocketHandle } from './socket.js';
import { STREAM_SUBPROTOCOL_V2, type GapData, type Session, type StreamServerControl } from './wire.js';

/** The `ended` control frame: how the session's process ended and the final cursor. */
export type ExitInfo = Omit<Extract<StreamServerControl, { type: 'ended' }>, 'type'>;
/** The `hello` control frame of each (re)connection. */
export type HelloInfo = Omit<Extract<StreamServerControl, { type: 'hello' }>, 'type'>;

/** Options of `client.attach()`. */
export interface AttachOptions {
  /** Byte cursor to start from (e.g. a previous attachment's `cursor`). @default the whole ring */
  since?: number;
  /** Terminal output, in order, each byte once across reconnections. */
  onData(bytes: Uint8Array): void;
  /** The session's process ended; the attachment is over. */
  onExit?(exit: ExitInfo): void;
  /** Bytes `[from, to)` were lost (older than the ring, or this client fell behind). */
  onGap?(gap: GapData): void;
  /** Someone resized the session's terminal. */
  onResize?(size: { cols: number; rows: number }): void;
  /** Each (re)connection's greeting: current cursor, size and state. */
  onHello?(hello: HelloInfo): void;
  /** The attachment ended for a reason reconnecting cannot fix (401, 403, 404…). */
  onError?(error: OpendrayError): void;
  /** Closes the attachment when aborted. */
  signal?: AbortSignal;
  /** Reconnection delays. @default { initialMs: 250, maxMs: 30_000 } */
  backoff?: BackoffOptions;
}

/** How an attachment ended. */
export type AttachEnd =
  | { reason: 'exit'; exit: ExitInfo }
  | { reason: 'closed' }
  | { reason: 'error'; error: OpendrayError };

/** A live terminal: what `client.attach()` returns. */
export interface Attachment {
  /** Types into the session (raw bytes; strings are UTF-8). Queued while reconnecting; false when not accepted. */
  write(data: string | Uint8Array): boolean;
  /** Resizes the session's terminal (sent once connected, if called while reconnecting). */
  resize(cols: number, rows: number): void;
  /** Detaches (the session keeps running). */
  close(): void;
  /** The next byte offset expected: pass it as `since` to resume later. */
  readonly cursor: number;
  /** Settles once, however the attachment ended. */
  readonly closed: Promise<AttachEnd>;
}

/** Bytes written while reconnecting that are kept for the next connection. */
const PENDING_LIMIT = 1 << 20;

/**
 * Attaches to `/sessions/{id}/stream` in `opendray.v2` mode (SPEC §5.5) and keeps it
 * attached: after a disconnect it reconnects with `?since=<cursor>`, so `onData` sees no
 * duplicate and no missing byte (loss the gateway reports arrives as `onGap`).
 */
export function attachSession(ctx: SocketContext, sessionId: string, options: AttachOptions): Attachment {
  return new SessionAttachment(ctx, sessionId, options);
}

class SessionAttachment implements Attachment {
  readonly closed: Promise<AttachEnd>;
  /** Next byte offset; undefined until the first `hello` when no `since` was given. */
  private position: number | undefined;
  private socket: SocketHandle | null = null;
  private live = false;
  private finished = false;
  private size: { cols: number; rows: number } | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly stop = new AbortController();
  private settle!: (end: AttachEnd) => void;
  private readonly recovery: RecoveryState = { recovered: false };

  constructor(
    private readonly ctx: SocketContext,
    private readonly sessionId: string,
    private readonly options: AttachOptions,
  ) {
    this.position = options.since === undefined ? undefined : Math.max(0, Math.floor(options.since));
    this.closed = new Promise((resolve) => (this.settle = resolve));
    if (options.signal?.aborted) this.close();
    else {
      options.signal?.addEventListener('abort', () => this.close(), { once: true });
      void this.run();
    }
  }

  get cursor(): number {
    return this.position ?? 0;
  }

  write(data: string | Uint8Array): boolean {
    if (this.finished) return false;
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.live && this.socket?.isOpen) {
      this.socket.send(bytes);
      return true;
    }
    if (this.pendingBytes + bytes.byteLength > PENDING_LIMIT) return false;
    this.pending.push(bytes);
    this.pendingBytes += bytes.byteLength;
    return true;
  }

  resize(cols: number, rows: number): void {
    if (this.finished) return;
    if (this.live && this.socket?.isOpen) this.socket.send(JSON.stringify({ type: 'resize', cols, rows }));
    else this.size = { cols, rows };
  }

  close(): void {
    this.end({ reason: 'closed' });
  }

  private end(result: AttachEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.live = false;
    this.stop.abort();
    this.socket?.close(1000, 'detached');
    this.pending = [];
    if (result.reason === 'exit') this.options.onExit?.(result.exit);
    if (result.reason === 'error') this.options.onError?.(result.error);
    this.settle(result);
  }

  private async run(): Promise<void> {
    const backoff = createBackoff(this.options.backoff);
    while (!this.finished) {
      const token = this.ctx.transport.token;
      const { end, greeted } = await this.connectOnce(token);
      if (greeted) {
        backoff.reset();
        this.recovery.recovered = false;
      }
      if (this.finished) return;
      const verdict = await this.judge(end, token);
      if (verdict instanceof OpendrayError) return this.end({ reason: 'error', error: verdict });
      if (verdict === 'now') continue;
      if (!(await sleep(verdict === 'backoff' ? backoff.next() : verdict, this.stop.signal))) return;
    }
  }

  private connectOnce(token: string | undefined): Promise<{ end: SocketEnd; greeted: boolean }> {
    const path = `/sessions/${encodeURIComponent(this.sessionId)}/stream`;
    const url = toWsUrl(this.ctx.transport.url(path, { since: this.position }));
    let greeted = false;
    return new Promise((resolve) => {
      openSocket(
        { url, protocols: [STREAM_SUBPROTOCOL_V2], token, WebSocket: this.ctx.WebSocket, ticket: this.ctx.ticket },
        {
          onOpen: (protocol) => {
            if (protocol !== STREAM_SUBPROTOCOL_V2) {
              this.end({ reason: 'error', error: new OpendrayError(0, 'invalid_response', 'the gateway did not accept the opendray.v2 subprotocol') });
            }
          },
          onMessage: (data) => {
            if (this.finished) return;
            if (typeof data !== 'string') {
              this.position = (this.position ?? 0) + data.byteLength;
              this.options.onData(data);
            } else if (this.control(data)) greeted = true;
          },
          onClose: (end) => {
            this.socket = null;
            this.live = false;
            resolve({ end, greeted });
          },
        },
      ).then(
        (socket) => {
          this.socket = socket;
          if (this.finished) socket.close(1000, 'detached');
        },
        (cause: unknown) => resolve({ end: { code: 1006, reason: String(cause), opened: false }, greeted }),
      );
    });
  }

  /** Handles one control frame; returns true for `hello`. */
  private control(text: string): boolean {
    let msg: StreamServerControl;
    try {
      msg = JSON.parse(text) as StreamServerControl;
    } catch {
      return false;
    }
    switch (msg?.type) {
      case 'hello': {
        const { type: _t, ...hello } = msg;
        // `cursor` is the offset of the first byte that follows (SPEC §5.5)
        this.position = hello.cursor;
        this.live = true;
        this.flush();
        this.options.onHello?.(hello);
        return true;
      }
      case 'gap':
        this.position = Math.max(this.position ?? 0, msg.to);
        this.options.onGap?.({ from: msg.from, to: msg.to });
        return false;
      case 'resize':
        this.options.onResize?.({ cols: msg.cols, rows: msg.rows });
        return false;
      case 'ended': {
        const { type: _t, ...exit } = msg;
        // Without an exit code the session is gone: deleted, unknown or not visible (SPEC §16).
        if (exit.exit_code === undefined) {
          this.end({ reason: 'error', error: new OpendrayError(404, 'not_found', 'session not found (deleted, unknown, or not visible to this key)') });
          return false;
        }
        if (typeof exit.cursor === 'number') this.position = exit.cursor;
        this.end({ reason: 'exit', exit });
        return false;
      }
      default:
        return false;
    }
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket?.isOpen) return;
    if (this.size) socket.send(JSON.stringify({ type: 'resize', ...this.size }));
    this.size = null;
    for (const bytes of this.pending) socket.send(bytes);
    this.pending = [];
    this.pendingBytes = 0;
  }

  private judge(end: SocketEnd, token: string | undefined): Promise<Verdict> {
    return judgeSocketEnd(this.ctx, end, token, this.recovery, () => this.diagnose(token), 'missing scope: session:input');
  }

  // The browser's WebSocket hides why an upgrade failed: ask the REST side instead.
  private async diagnose(token: string | undefined): Promise<Verdict> {
    try {
      await this.ctx.transport.json<Session>(`/sessions/${encodeURIComponent(this.sessionId)}`, { signal: this.stop.signal });
      return this.ctx.transport.token !== token ? 'now' : 'backoff';
    } catch (err) {
      if (isOpendrayError(err) && [401, 403, 404].includes(err.status)) return err;
      return 'backoff';
    }
  }
}
