import type { HistoryEntry, Session, SessionState, TopicName, Topics } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { conflict } from '../errors.js';
import { createSerialQueue } from '../serial-queue.js';
import { signalName, signalNumber, signalSession } from '../pty/process-group.js';
import type { PtyProcess } from '../pty/types.js';
import type { SessionRecord } from '../stores/types.js';
import { OutputBatcher } from './output-batch.js';
import { OutputCoalescer } from './output-events.js';
import { createIdleObserver } from './idle-observer.js';
import type { ObservedSession, SessionObserver, SessionObserverFactory } from './observer.js';
import { RingBuffer } from './ring-buffer.js';
import { SessionScreen } from './screen.js';

/** How a session's process ended, as `session.ended` and the stream's `ended` frame tell it. */
export interface EndInfo {
  /** 128 + the signal number when a signal killed it; null when the gateway never saw it exit. */
  exit_code: number | null;
  signal?: string;
  state: 'ended' | 'stopped' | 'interrupted';
  cursor: number;
}

/** A live observer of one session (stream viewers, embedders). Called synchronously, in order. */
export interface SessionListener {
  data(chunk: Buffer, offset: number): void;
  /** A stream viewer (a terminal on the other end), counted by `ObservedSession.viewers()`. */
  viewer?: boolean;
  resize?(cols: number, rows: number): void;
  ended?(info: EndInfo): void;
}

/** What a session needs from its manager. */
export interface SessionDeps {
  ctx: Pick<GatewayContext, 'bus' | 'clock' | 'logger' | 'options'>;
  /** Schedules a write of the record (coalesced by the manager). */
  persist(session: LiveSession): void;
  loadTail(id: string): Promise<{ start: number; bytes: Buffer } | undefined>;
  /** Observers made at every spawn, after the built-in idle observer (SPEC §17). */
  observers?: readonly SessionObserverFactory[];
}

const LIVE: ReadonlySet<SessionState> = new Set(['running', 'idle']);
const MAX_HISTORY = 1000;
const MAX_HISTORY_TEXT = 16_384;
/** After SIGKILL, how long to wait for the exit report before finishing the session anyway. */
const EXIT_BACKSTOP_MS = 2_000;

/**
 * One session: its record, its ring, its PTY while it runs, and the state machine of
 * SPEC §5.3 (`running ⇄ idle`, then `ended` / `stopped` / `interrupted`). Each PTY read
 * goes synchronously to the ring and the `session.output` coalescer, and to the live
 * listeners by the end of the event-loop turn (batched); nothing on that path waits for a
 * viewer or the store.
 */
export class LiveSession {
  submitKey = '\n';
  readonly screen: SessionScreen;
  history: HistoryEntry[];
  private ring: RingBuffer | null = null;
  private pty: PtyProcess | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly output: OutputCoalescer;
  /** The observers of the current run: idle detection first, then the factories' (SPEC §17). */
  private observers: SessionObserver[] = [];
  private stopAs: 'stopped' | 'interrupted' | null = null;
  private exited: Promise<void> = Promise.resolve();
  private finishExit: (() => void) | null = null;
  private killTimers: NodeJS.Timeout[] = [];
  private readonly inputQueue = createSerialQueue();
  private readonly batch = new OutputBatcher((chunk, offset) => {
    for (const l of this.listeners) guard(() => l.data(chunk, offset), this.deps);
  });

  constructor(
    public record: SessionRecord,
    private readonly deps: SessionDeps,
  ) {
    this.history = record.history ?? [];
    this.screen = new SessionScreen({ cols: record.cols, rows: record.rows });
    this.output = new OutputCoalescer({
      publish: ({ offset, bytes }) =>
        this.publish('session.output', { session_id: this.id, data: bytes.toString('utf8'), offset, bytes: bytes.length }),
    });
  }

  get id(): string {
    return this.record.id;
  }

  /** running or idle: a process is attached. */
  get live(): boolean {
    return LIVE.has(this.record.state);
  }

  /** The wire shape (SPEC §5.2): no env, model, agent id or history. */
  view(): Session {
    const { env: _env, model: _model, agent_session_id: _agent, agent_session_confirmed: _c, history: _history, ...session } = this.record;
    return { ...session, args: [...session.args], agent: session.agent ?? null };
  }

  /** The record as persisted. */
  toRecord(): SessionRecord {
    return { ...this.record, history: [...this.history] };
  }

  /**
   * The ring: in memory while the session runs (and until its tail is stored), else read
   * from the stored tail — not kept, so ended sessions cost no memory. No stored tail
   * yields an empty ring at the recorded cursor, which never moves backwards.
   */
  async ringOf(): Promise<RingBuffer> {
    if (this.ring) return this.ring;
    const tail = await this.deps.loadTail(this.id);
    return this.ring ?? new RingBuffer(this.deps.ctx.options.bufferBytes, tail ?? { start: this.record.bytes_out, bytes: Buffer.alloc(0) });
  }

  /** The ring if it is in memory (always, while running). */
  ringIfLoaded(): RingBuffer | null {
    return this.ring;
  }

  /** Lets go of an ended session's ring once its tail is safely stored; reloaded on demand. */
  releaseRing(): void {
    if (!this.live) this.ring = null;
  }

  /** Adds a live listener; returns the function that removes it. */
  subscribe(listener: SessionListener): () => void {
    // Bytes already in the ring go to the listeners that were there; the new one starts after them.
    this.batch.flush();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wires a freshly spawned PTY (the ring must be loaded) and enters `running`. */
  attach(pty: PtyProcess, submitKey: string, ring: RingBuffer): void {
    const now = this.deps.ctx.clock.now();
    this.pty = pty;
    this.ring = ring;
    this.submitKey = submitKey;
    this.stopAs = null;
    this.exited = new Promise((resolve) => (this.finishExit = resolve));
    const { ended_at: _e, exit_code: _c, signal: _s, idle_since: _i, ...rest } = this.record;
    this.record = { ...rest, state: 'running', pid: pty.pid, started_at: isoTime(now), bytes_out: ring.cursor };
    this.startObservers();
    // A late event of a previous process (after a backstop exit and a restart) is ignored.
    pty.onData((data) => {
      if (this.pty === pty) this.onData(typeof data === 'string' ? Buffer.from(data) : data);
    });
    pty.onExit(({ exitCode, signal }) => this.onExit(pty, exitCode, signal));
    this.publish('session.started', {
      session_id: this.id,
      provider_id: this.record.provider_id,
      name: this.record.name,
      ...(this.record.integration_id ? { integration_id: this.record.integration_id } : {}),
    });
  }

  /** Writes raw bytes to the PTY; 409 when no process runs. */
  write(data: string | Buffer): void {
    if (!this.pty || !this.live) throw conflict('session is not running');
    this.pty.write(data);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.input?.(bytes, at), this.deps);
  }

  /**
   * Runs input steps one request after another, so a `text` and its delayed submit key
   * are never interleaved with another request's bytes.
   */
  enqueueInput(step: () => Promise<void> | void): Promise<void> {
    return this.inputQueue.run(step);
  }

  resize(cols: number, rows: number): void {
    if (!this.pty || !this.live) throw conflict('session is not running');
    this.pty.resize(cols, rows);
    this.batch.flush();
    this.record = { ...this.record, cols, rows };
    this.screen.noteResize(this.ring?.cursor ?? this.record.bytes_out, cols, rows);
    for (const l of this.listeners) guard(() => l.resize?.(cols, rows), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.resize?.(cols, rows, at), this.deps);
    this.deps.persist(this);
  }

  addHistory(text: string): void {
    this.history.push({ ts: isoTime(this.deps.ctx.clock.now()), text: text.slice(0, MAX_HISTORY_TEXT), session_id: this.id });
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    this.deps.persist(this);
  }

  /**
   * Stops the process (SPEC §5.7): SIGHUP and SIGTERM to its process group, SIGKILL after
   * the grace. Resolves once the session has ended and its end was published.
   */
  async stop(as: 'stopped' | 'interrupted'): Promise<void> {
    const pty = this.pty;
    if (!pty || !this.live) return this.exited;
    if (this.stopAs) return this.exited;
    this.stopAs = as;
    this.signal(pty, ['SIGHUP', 'SIGTERM']);
    const grace = this.deps.ctx.options.stopGraceMs;
    this.killTimers.push(
      setTimeout(() => this.signal(pty, ['SIGKILL']), grace),
      // A backend that never reports the exit must not keep the session (or shutdown) waiting.
      setTimeout(() => this.onExit(pty, -1, signalNumber('SIGKILL')), grace + EXIT_BACKSTOP_MS),
    );
    return this.exited;
  }

  /** Drops timers and listeners of a session being forgotten. */
  dispose(): void {
    this.clearTimers();
    for (const o of this.observers) guard(() => o.ended?.({ exit_code: null, state: 'stopped', cursor: this.record.bytes_out }, this.deps.ctx.clock.now()), this.deps);
    this.observers = [];
    this.batch.dispose();
    this.output.dispose();
    this.listeners.clear();
    this.screen.dispose();
  }

  /** Signals the process's whole session; a backend without a real pid is asked to kill it. */
  private signal(pty: PtyProcess, signals: NodeJS.Signals[]): void {
    if (!signalSession(pty.pid, signals)) for (const s of signals) guard(() => pty.kill(s), this.deps);
  }

  private onData(chunk: Buffer): void {
    const ring = this.ring!;
    const offset = ring.cursor;
    ring.write(chunk);
    this.record.bytes_out = ring.cursor;
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.data?.(chunk, offset, at), this.deps);
    this.output.push(chunk, offset);
    this.batch.push(chunk, offset);
  }

  private onExit(pty: PtyProcess, exitCode: number, signal: number | undefined): void {
    if (this.pty !== pty) return;
    this.pty = null;
    this.clearTimers();
    // Every byte read so far is delivered and published before the end (SPEC §5.7).
    this.batch.flush();
    this.output.flush(true);
    const name = signalName(signal);
    const state = this.stopAs ?? 'ended';
    const exit_code = name ? 128 + signal! : exitCode;
    const { pid: _p, idle_since: _i, ...rest } = this.record;
    this.record = {
      ...rest,
      state,
      ended_at: isoTime(this.deps.ctx.clock.now()),
      exit_code,
      ...(name ? { signal: name } : {}),
      bytes_out: this.ring?.cursor ?? this.record.bytes_out,
    };
    const info: EndInfo = { exit_code, ...(name ? { signal: name } : {}), state, cursor: this.record.bytes_out };
    for (const l of this.listeners) guard(() => l.ended?.(info), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.ended?.(info, at), this.deps);
    this.observers = [];
    this.publish('session.ended', { session_id: this.id, ...info });
    this.deps.persist(this);
    this.finishExit?.();
    this.finishExit = null;
  }

  /** Idle detection first (SPEC §5.3), then every factory's observer (SPEC §17). */
  private startObservers(): void {
    const { clock, options, logger } = this.deps.ctx;
    const observed = this.observed();
    const idle = createIdleObserver(observed, {
      clock,
      thresholdMs: options.idleThresholdMs,
      isIdle: () => this.record.state === 'idle',
      setIdle: (on) => {
        const { idle_since: _i, ...rest } = this.record;
        this.record = on ? { ...this.record, state: 'idle', idle_since: isoTime(clock.now()) } : { ...rest, state: 'running' };
      },
      warn: (message, err) => logger.warn(message, { error: err }),
    });
    this.observers = [idle];
    for (const factory of this.deps.observers ?? []) {
      let o: SessionObserver | undefined;
      guard(() => (o = factory(observed)), this.deps);
      if (o) this.observers.push(o);
    }
    idle.start();
  }

  /** What observers see of this session. */
  private observed(): ObservedSession {
    return {
      id: this.id,
      record: () => this.record,
      view: () => this.view(),
      clock: this.deps.ctx.clock,
      publish: (topic, data) => void this.deps.ctx.bus.publish(topic, data, this.record.integration_id ? { tenant: this.record.integration_id } : {}),
      update: (patch) => {
        this.record = { ...this.record, ...patch };
        this.deps.persist(this);
      },
      reply: (bytes) => {
        if (!this.pty || !this.live) return false;
        this.pty.write(bytes);
        return true;
      },
      screen: async () => this.screen.snapshot(await this.ringOf()),
      viewers: () => [...this.listeners].filter((l) => l.viewer).length,
      cursor: () => this.ring?.cursor ?? this.record.bytes_out,
    };
  }

  private clearTimers(): void {
    for (const t of this.killTimers) clearTimeout(t);
    this.killTimers = [];
  }

  private publish<K extends TopicName>(topic: K, data: Topics[K]): void {
    this.deps.ctx.bus.publish<TopicName>(topic, data, this.record.integration_id ? { tenant: this.record.integration_id } : {});
  }
}

function guard(fn: () => void, deps: SessionDeps): void {
  try {
    fn();
  } catch (err) {
    deps.ctx.logger.warn('session listener failed', { error: err });
  }
}
