import type { Screen, Session } from '@opendray/sdk/wire';
import type { PublishData } from '../bus/types.js';
import type { Clock } from '../clock.js';
import type { SessionRecord } from '../stores/types.js';
import type { EndInfo } from './session.js';

/**
 * What an observer may do with the session it watches. Everything is synchronous except
 * `screen()`; nothing here can block the PTY's output path.
 */
export interface ObservedSession {
  readonly id: string;
  /** The record as it is now (read-only; change it with `update`). */
  record(): Readonly<SessionRecord>;
  view(): Session;
  readonly clock: Clock;
  /** Publishes a fact about this session on the bus, with the session's tenancy. */
  publish<K extends string>(topic: K, data: PublishData<K>): void;
  /**
   * Stores fields of the record the observer owns (e.g. the agent's state, the agent's own
   * session id); persisted with the record.
   */
  update(patch: Pick<Partial<SessionRecord>, 'agent' | 'agent_session_id' | 'agent_session_confirmed'>): void;
  /** Writes bytes to the PTY that are not user input (terminal replies); false when not running. */
  reply(bytes: string | Buffer): boolean;
  /** The rendered screen now (the headless terminal caught up to the last byte read). */
  screen(): Promise<Screen>;
  /** Stream viewers attached now. */
  viewers(): number;
  /** The output cursor: total bytes read from the PTY. */
  cursor(): number;
}

/**
 * A session observer (SPEC §17, ARCHITECTURE "session observers"): told of every output
 * chunk, every input write, resizes and the end, in order, synchronously. Idle detection
 * is the first built-in observer, the agent-state detector the second; embedders add
 * their own with `createGateway({ sessionObservers })`. A throwing observer is logged and
 * never reaches the session.
 */
export interface SessionObserver {
  /** `offset` is the cursor of the chunk's first byte; `at` the gateway clock's time. */
  data?(chunk: Buffer, offset: number, at: number): void;
  /** Bytes written to the PTY as input (REST input, stream frames, prompts). */
  input?(bytes: Buffer, at: number): void;
  resize?(cols: number, rows: number, at: number): void;
  /** The process ended; the observer is dropped after this. */
  ended?(info: EndInfo, at: number): void;
}

/**
 * Makes the observer of one run of a session (called at every spawn and restart); return
 * undefined to skip this session.
 */
export type SessionObserverFactory = (session: ObservedSession) => SessionObserver | undefined;
