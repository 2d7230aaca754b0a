import { createBackoff, sleep, type BackoffOptions } from './backoff.js';
import { isOpendrayError, OpendrayError } from './errors.js';
import { judgeSocketEnd, type RecoveryState, type SocketContext, type Verdict } from './reconnect.js';
import { openSocket, toWsUrl, type SocketEnd, type SocketHandle } from './socket.js';
import { firstMissingScope, isTopicPattern, type EventFrame, type HelloData, type Me } from './wire.js';

export type { SocketContext } from './reconnect.js';

/** Options of `client.events()`. */
export interface EventsOptions {
  /** Topics or patterns (`session.*`, `*`), as an array or a comma-separated string. */
  topics: readonly string[] | string;
  /** Resume after this `seq` (e.g. the last one a previous run handled). */
  since?: number;
  /** Ends the iteration (normally, without an error) when aborted. */
  signal?: AbortSignal;
  /** Reconnection delays. @default { initialMs: 250, maxMs: 30_000 } */
  backoff?: BackoffOptions;
  /**
   * Frames held for a consumer that is not reading; past it the socket is closed and
   * reopened with `?since=` once the consumer catches up, so memory stays bounded and
   * nothing is lost that the gateway's log still holds. @default 10_000
   */
  bufferLimit?: number;
}

/** The async iterable `client.events()` returns. */
export interface EventStream extends AsyncIterableIterator<EventFrame> {
  /** Resolves once the gateway confirmed the subscription (its `_hello`); rejects if the stream fails first. */
  readonly ready: Promise<void>;
  /** The `seq` of the last event handed out (pass it as `since` to resume later). */
  readonly lastSeq: number | undefined;
  /** Ends the iteration and closes the socket. */
  close(): void;
}

/** One connection's state: the `since` it was opened with, and whether to ignore what it sends. */
interface Connection {
  since: number | undefined;
  discard: boolean;
}

/**
 * Opens `/integrations/_events` and keeps it open (SPEC §6): reconnects with backoff,
 * resumes with `?since=<last seq>`, drops frames whose `seq` was already handed out, and
 * surfaces `_hello` and `_gap` frames. A refusal that retrying cannot fix (401 after key
 * recovery, 403, 400) ends the iteration by throwing an {@link OpendrayError}.
 */
export function createEventStream(ctx: SocketContext, options: EventsOptions): EventStream {
  const topics = (typeof options.topics === 'string' ? options.topics.split(',') : [...options.topics]).map((t) => t.trim());
  const bad = topics.length === 0 ? '' : topics.find((t) => !isTopicPattern(t));
  if (bad !== undefined) {
    throw new OpendrayError(400, 'validation_failed', `topics: ${bad === '' ? 'at least one topic is required' : `malformed topic "${bad}"`}`);
  }
  return new ResumingEventStream(ctx, topics, options);
}

class ResumingEventStream implements EventStream {
  readonly ready: Promise<void>;
  private readonly queue: EventFrame[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly stop = new AbortController();
  private readonly limit: number;
  private seq: number | undefined;
  private epoch: string | undefined;
  private socket: SocketHandle | null = null;
  private finished = false;
  private failure: OpendrayError | undefined;
  private paused = false;
  private resume: (() => void) | null = null;
  private settleReady!: (err?: OpendrayError) => void;
  private readonly recovery: RecoveryState = { recovered: false };

  constructor(
    private readonly ctx: SocketContext,
    private readonly topics: string[],
    private readonly options: EventsOptions,
  ) {
    this.seq = options.since;
    this.limit = Math.max(1, options.bufferLimit ?? 10_000);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (err) => (err ? reject(err) : resolve());
    });
    this.ready.catch(() => undefined); // a caller that never awaits `ready` must not see an unhandled rejection
    if (options.signal?.aborted) this.close();
    else {
      options.signal?.addEventListener('abort', () => this.close(), { once: true });
      void this.run();
    }
  }

  get lastSeq(): number | undefined {
    return this.seq;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<EventFrame>> {
    for (;;) {
      const frame = this.queue.shift();
      if (frame) {
        if (this.paused && this.queue.length <= this.limit / 2) this.resume?.();
        return { value: frame, done: false };
      }
      if (this.failure) {
        const err = this.failure;
        this.failure = undefined;
        throw err;
      }
      if (this.finished) return { value: undefined, done: true };
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async return(): Promise<IteratorResult<EventFrame>> {
    this.close();
    this.queue.length = 0;
    return { value: undefined, done: true };
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.settleReady();
    this.shutdown();
  }

  private fail(err: OpendrayError): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = err;
    this.settleReady(err);
    this.shutdown();
  }

  private shutdown(): void {
    this.stop.abort();
    this.socket?.close(1000, 'client closed');
    this.resume?.();
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    const backoff = createBackoff(this.options.backoff);
    while (!this.finished) {
      if (this.paused) {
        if (this.queue.length > this.limit / 2) await new Promise<void>((r) => (this.resume = r));
        this.resume = null;
        this.paused = false;
        continue;
      }
      const token = this.ctx.transport.token;
      const { end, greeted, restart } = await this.connectOnce(token);
      if (greeted) {
        backoff.reset();
        this.recovery.recovered = false;
      }
      if (this.finished || this.paused || restart) continue;
      const verdict = await this.judge(end, token);
      if (verdict instanceof OpendrayError) return this.fail(verdict);
      if (verdict === 'now') continue;
      const delay = verdict === 'backoff' ? backoff.next() : verdict;
      if (!(await sleep(delay, this.stop.signal))) return;
    }
  }

  private connectOnce(token: string | undefined): Promise<{ end: SocketEnd; greeted: boolean; restart: boolean }> {
    const conn: Connection = { since: this.seq, discard: false };
    const query = { topics: this.topics.join(','), since: conn.since };
    const url = toWsUrl(this.ctx.transport.url('/integrations/_events', query));
    let greeted = false;
    return new Promise((resolve) => {
      openSocket(
        { url, protocols: [], token, WebSocket: this.ctx.WebSocket, ticket: this.ctx.ticket },
        {
          onOpen: () => undefined,
          onMessage: (data) => {
            if (typeof data !== 'string' || this.finished || conn.discard) return;
            if (this.accept(data, conn)) greeted = true;
          },
          onClose: (end) => {
            this.socket = null;
            resolve({ end, greeted, restart: conn.discard });
          },
        },
      ).then(
        (socket) => {
          this.socket = socket;
          if (this.finished) socket.close(1000, 'client closed');
        },
        (cause: unknown) => resolve({ end: { code: 1006, reason: String(cause), opened: false }, greeted, restart: false }),
      );
    });
  }

  /** Queues one frame unless it is a duplicate; returns true for the `_hello`. */
  private accept(text: string, conn: Connection): boolean {
    let frame: EventFrame;
    try {
      frame = JSON.parse(text) as EventFrame;
    } catch {
      return false;
    }
    if (!frame || typeof frame.topic !== 'string') return false;
    let hello = false;
    if (frame.topic === '_hello') {
      hello = true;
      const { epoch, seq } = (frame.data ?? {}) as Partial<HelloData>;
      if (this.epoch !== undefined && epoch !== this.epoch) {
        // The gateway restarted and its seq restarted with it. It replays all it has for a
        // `since` beyond its newest seq; for one within, it would skip its first events:
        // then reconnect from 0 (SPEC §6).
        this.seq = undefined;
        if (conn.since !== undefined && conn.since > 0 && typeof seq === 'number' && conn.since <= seq) {
          this.seq = 0;
          conn.discard = true;
          this.socket?.close(1000, 'resuming from the new epoch');
        }
      }
      this.epoch = epoch;
      this.settleReady();
    } else if (typeof frame.seq === 'number') {
      if (this.seq !== undefined && frame.seq <= this.seq) return false;
      this.seq = frame.seq;
    }
    this.queue.push(frame);
    this.wake();
    if (this.queue.length >= this.limit && !this.paused) {
      this.paused = true;
      this.socket?.close(1000, 'client paused');
    }
    return hello;
  }

  private judge(end: SocketEnd, token: string | undefined): Promise<Verdict> {
    return judgeSocketEnd(this.ctx, end, token, this.recovery, () => this.diagnose(token), 'missing scope');
  }

  // The browser's WebSocket hides why an upgrade failed: ask the REST side instead.
  private async diagnose(token: string | undefined): Promise<Verdict> {
    try {
      const me = await this.ctx.transport.json<Me>('/auth/me', { signal: this.stop.signal });
      if (this.ctx.transport.token !== token) return 'now';
      const missing = me.kind === 'integration' ? firstMissingScope(this.topics, me.scopes) : undefined;
      if (missing !== undefined) return new OpendrayError(403, 'missing_scope', `missing scope: ${missing}`);
      return 'backoff';
    } catch (err) {
      if (isOpendrayError(err) && (err.status === 401 || err.status === 403)) return err;
      return 'backoff';
    }
  }
}
