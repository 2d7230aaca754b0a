import type { HistoryEntry, Session, SessionState, TopicName, Topics } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { PublishData } from '../bus/types.js';
import type { GatewayContext } from '../context.js';
import { conflict } from '../errors.js';
import { createSerialQueue } from '../serial-queue.js';
import { reapSession, signalName, signalNumber, terminateSession, trackChild, type SessionLeader } from '../pty/process-group.js';
import type { PtyProcess } from '../pty/types.js';
import type { SessionRecord } from '../stores/types.js';
import { DriverLease } from './driver-lease.js';
import { OutputBatcher } from './output-batch.js';
import { OutputCoalescer } from './output-events.js';
import { createIdleObserver, type IdleObserver } from './idle-observer.js';
import type { ObservedSession, SessionObserver, SessionObserverFactory } from './observer.js';
import { RingBuffer } from './ring-buffer.js';
import { SessionScreen } from './screen.js';

/** The topic that tells how a session ended (SPEC §16: v2's names). */
const END_TOPIC = { ended: 'session.ended', stopped: 'session.stopped', interrupted: 'session.interrupted' } as const;

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
  /** This listener held the driver lease (SPEC §5.5) and lost it. */
  leaseLost?(): void;
}

/** What a session needs from its manager. */
export interface SessionDeps {
  ctx: Pick<GatewayContext, 'bus' | 'clock' | 'logger' | 'options'>;
  /** Schedules a write of the record (coalesced by the manager); resolves once it is stored. */
  persist(session: LiveSession): Promise<void>;
  loadTail(id: string): Promise<{ start: number; bytes: Buffer } | undefined>;
  /**
   * The output log, when output goes to disk: each read is handed to `record` before
   * anything else sees it, and `flush` runs before a cursor is shown (SPEC §5.4: the cursor
   * never moves back, even after a crash).
   */
  output?: { record(session: LiveSession, chunk: Buffer, offset: number): void; flush(session: LiveSession): void };
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
  /** The stream client whose reading paces the PTY (SPEC §5.5); it alone can pause reads. */
  readonly lease = new DriverLease({ setPaused: (paused) => this.setOutputPaused(paused) });
  history: HistoryEntry[];
  private ring: RingBuffer | null = null;
  private pty: PtyProcess | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly output: OutputCoalescer;
  /** Paused by its driver (SPEC §5.5): the program waits to print; idle detection waits too. */
  private outputPaused = false;
  /** The observers of the current run: idle detection first, then the factories' (SPEC §17). */
  private observers: SessionObserver[] = [];
  /** The built-in idle observer of the current run (told when a paused output resumes). */
  private idle: IdleObserver | null = null;
  private stopAs: 'stopped' | 'interrupted' | null = null;
  private exited: Promise<void> = Promise.resolve();
  private finishExit: (() => void) | null = null;
  private killTimers: NodeJS.Timeout[] = [];
  private readonly inputQueue = createSerialQueue();
  private leader: SessionLeader | undefined;
  private reaping: Promise<void> = Promise.resolve();
  /** The sandbox's way to signal the whole session (SPEC §15); else its process groups. */
  private sandboxSignal: ((pid: number, signals: readonly NodeJS.Signals[]) => boolean) | undefined;
  /** `session.idle` waits for the screen; `active` and the end are queued behind it, so they stay in order. */
  private readonly lifecycleEvents = createSerialQueue();
  private readonly batch = new OutputBatcher((chunk, offset) => {
    this.deps.output?.flush(this);
    for (const l of this.listeners) guard(() => l.data(chunk, offset), this.deps);
  });

  constructor(
    public record: SessionRecord,
    private readonly deps: SessionDeps,
  ) {
    this.history = record.history ?? [];
    this.screen = new SessionScreen({ cols: record.cols, rows: record.rows });
    this.output = new OutputCoalescer({
      publish: ({ offset, bytes }) => {
        this.deps.output?.flush(this);
        this.publish('session.output', { session_id: this.id, data: bytes.toString('utf8'), offset, bytes: bytes.length });
      },
    });
  }

  get id(): string {
    return this.record.id;
  }

  /** running or idle: a process is attached. */
  get live(): boolean {
    return LIVE.has(this.record.state);
  }

  /** The wire shape (SPEC §5.2): no env, agent id or history. */
  view(): Session {
    this.deps.output?.flush(this);
    const { env: _env, agent_session_id: _agent, agent_session_confirmed: _c, history: _history, ...session } = this.record;
    return { ...session, args: [...session.args], agent: session.agent ?? null };
  }

  /** The record as persisted. */
  toRecord(): SessionRecord {
    this.deps.output?.flush(this);
    return { ...this.record, history: [...this.history] };
  }

  /**
   * The ring: in memory while the session runs (and until its tail is stored), else read
   * from the stored tail — not kept, so ended sessions cost no memory. No stored tail (or
   * one that ends before the recorded cursor) yields an empty ring at the recorded cursor,
   * which never moves backwards.
   */
  async ringOf(): Promise<RingBuffer> {
    if (this.ring) return this.ringIfLoaded()!;
    const tail = await this.deps.loadTail(this.id);
    if (this.ring) return this.ringIfLoaded()!;
    const usable = tail && tail.start + tail.bytes.length >= this.record.bytes_out ? tail : undefined;
    return new RingBuffer(this.deps.ctx.options.bufferBytes, usable ?? { start: this.record.bytes_out, bytes: Buffer.alloc(0) });
  }

  /** The ring if it is in memory (always, while running). */
  ringIfLoaded(): RingBuffer | null {
    if (this.ring) this.deps.output?.flush(this);
    return this.ring;
  }

  /** Resolves once nothing of the session's process tree is left (after a stop or an end). */
  get reaped(): Promise<void> {
    return this.reaping;
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

  /**
   * Wires a freshly spawned PTY (the ring must be loaded) and enters `running`; `restarted`
   * for POST /start; `sandboxSignal` is the sandbox's way to signal the whole session.
   */
  attach(
    pty: PtyProcess,
    submitKey: string,
    ring: RingBuffer,
    restarted = false,
    sandboxSignal?: (pid: number, signals: readonly NodeJS.Signals[]) => boolean,
  ): void {
    const now = this.deps.ctx.clock.now();
    this.lease.reset();
    this.pty = pty;
    this.leader = trackChild(pty.pid);
    this.sandboxSignal = sandboxSignal;
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
    // v2 announces a respawn as `session.restarted` (SPEC §16); `session.started` above is ours.
    if (restarted) this.publish('session.restarted', { session_id: this.id, provider_id: this.record.provider_id });
  }

  /** Input that submits reached the PTY (a CR or LF in it): `session.input` (SPEC §16). */
  noteSubmitted(): void {
    this.publish('session.input', { session_id: this.id });
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

  /** The new size is saved in the background (it matters only for a restart). */
  resize(cols: number, rows: number): void {
    if (!this.pty || !this.live) throw conflict('session is not running');
    this.pty.resize(cols, rows);
    this.batch.flush();
    this.record = { ...this.record, cols, rows };
    this.screen.noteResize(this.ring?.cursor ?? this.record.bytes_out, cols, rows);
    for (const l of this.listeners) guard(() => l.resize?.(cols, rows), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.resize?.(cols, rows, at), this.deps);
    this.persistQuietly();
  }

  /** Adds a submitted message; resolves once stored, else it is taken back and the error thrown. */
  async addHistory(text: string): Promise<void> {
    const entry: HistoryEntry = { ts: isoTime(this.deps.ctx.clock.now()), text: text.slice(0, MAX_HISTORY_TEXT), session_id: this.id };
    this.history.push(entry);
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    try {
      await this.deps.persist(this);
    } catch (err) {
      const at = this.history.indexOf(entry);
      if (at >= 0) this.history.splice(at, 1);
      throw err;
    }
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
    // A paused PTY would hide the exit: the last output is read whoever drives.
    this.lease.reset();
    const grace = this.deps.ctx.options.stopGraceMs;
    const sandboxSignal = this.sandboxSignal;
    if (sandboxSignal) {
      // Every process of the sandbox's PID namespace, setsid daemons included (SPEC §15).
      const signal = (signals: NodeJS.Signals[]): void => {
        if (!sandboxSignal(pty.pid, signals)) for (const s of signals) guard(() => pty.kill(s), this.deps);
      };
      signal(['SIGHUP', 'SIGTERM']);
      this.killTimers.push(setTimeout(() => signal(['SIGKILL']), grace));
    } else if (this.leader) {
      // The whole tree, also what outlives the leader (SPEC §5.7); never cancelled by its exit.
      this.reaping = terminateSession(this.leader, grace, this.exited).catch((err: unknown) =>
        this.deps.ctx.logger.warn('could not stop every process of a session', { session_id: this.id, error: err }),
      );
    } else {
      // Not a child of ours (a test double's pid): the backend is asked to kill it.
      for (const s of ['SIGHUP', 'SIGTERM']) guard(() => pty.kill(s), this.deps);
      this.killTimers.push(setTimeout(() => guard(() => pty.kill('SIGKILL'), this.deps), grace));
    }
    // A backend that never reports the exit must not keep the session (or shutdown) waiting.
    this.killTimers.push(setTimeout(() => this.onExit(pty, -1, signalNumber('SIGKILL')), grace + EXIT_BACKSTOP_MS));
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

  /** Saves the record in the background: a failure is logged (and shown by `/health`). */
  persistQuietly(): void {
    this.deps.persist(this).catch(() => undefined);
  }

  private onData(chunk: Buffer): void {
    const ring = this.ring!;
    const offset = ring.cursor;
    // On disk before anyone can see it (SPEC §5.4).
    this.deps.output?.record(this, chunk, offset);
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
    this.lease.reset();
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
    // What the process left behind in its session is stopped too: no leftover holds the PTY.
    if (!this.stopAs && this.leader) {
      const leader = this.leader;
      this.reaping = reapSession(leader, this.deps.ctx.options.stopGraceMs).catch(() => undefined);
    }
    for (const l of this.listeners) guard(() => l.ended?.(info), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.ended?.(info, at), this.deps);
    this.observers = [];
    this.idle = null;
    // stop/delete → session.stopped, an exit → session.ended, shutdown → session.interrupted
    // (SPEC §16); after an idle event still reading the screen, so the order stays true. The
    // stop (and shutdown's drain) resolves only once the end is published.
    const end = { session_id: this.id, ...info, ended_at: this.record.ended_at!, origin: this.record.origin };
    const finish = this.finishExit;
    this.finishExit = null;
    this.persistQuietly();
    void this.lifecycleEvents.run(() => this.publish(END_TOPIC[state], end)).then(() => finish?.());
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
      isPaused: () => this.outputPaused,
      // On the queue the end is published from, so a late idle can never follow it.
      enqueue: (event) => void this.lifecycleEvents.run(event).catch((err: unknown) => logger.warn('session event failed', { session_id: this.id, error: err })),
    });
    this.idle = idle;
    this.observers = [idle];
    for (const factory of this.deps.observers ?? []) {
      let o: SessionObserver | undefined;
      guard(() => (o = factory(observed)), this.deps);
      if (o) this.observers.push(o);
    }
    idle.start();
  }

  private setOutputPaused(paused: boolean): void {
    this.outputPaused = paused;
    if (!this.pty) return;
    if (paused) this.pty.pause();
    else {
      this.pty.resume();
      this.idle?.resumed();
    }
  }

  /** What observers see of this session. */
  private observed(): ObservedSession {
    return {
      id: this.id,
      record: () => this.record,
      view: () => this.view(),
      clock: this.deps.ctx.clock,
      publish: (topic, data) => this.publish(topic, data),
      update: (patch) => {
        this.record = { ...this.record, ...patch };
        this.persistQuietly();
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

  /** Publishes a fact about this session, with who may see it (SPEC §3: the events endpoint filters on it). */
  private publish<K extends string>(topic: K, data: PublishData<K>): void {
    const { origin, integration_id, private: hidden } = this.record;
    this.deps.ctx.bus.publish(topic, data, {
      ...(integration_id ? { tenant: integration_id } : {}),
      session: { origin, ...(integration_id ? { integration_id } : {}), ...(hidden ? { private: true } : {}) },
    });
  }
}

function guard(fn: () => void, deps: SessionDeps): void {
  try {
    fn();
  } catch (err) {
    deps.ctx.logger.warn('session listener failed', { error: err });
  }
}
