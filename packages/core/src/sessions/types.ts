import type { CreateSessionRequest, HistoryEntry, InputRequest, Screen, Session, SessionState } from '@opendray/sdk/wire';
import type { FlowHandle } from './driver-lease.js';
import type { BufferSlice } from './ring-buffer.js';
import type { EndInfo, SessionListener } from './session.js';

/** Who a new session belongs to; absent for the operator or an embedder. */
export interface SessionOwner {
  integrationId?: string;
  /** The integration's `max_sessions` (0: it may run none); absent or null means no limit (SPEC §16). */
  maxSessions?: number | null;
}

export interface SessionFilter {
  state?: SessionState;
  provider_id?: string;
  integration_id?: string;
}

/** A stream viewer's view of a session at the moment it attached. */
export interface Attachment {
  session: Session;
  /** The ring from `since`; live chunks follow it with no gap and no overlap. */
  backlog: BufferSlice;
  /** Set when the session had already ended: nothing live will follow. */
  ended?: EndInfo;
  /** Reads the ring synchronously (a lagging viewer catches up from it). */
  read(since: number): BufferSlice;
  /** Offset of the oldest byte the ring still holds. */
  oldest(): number;
  /** A reset plus the current screen, and the cursor it shows (a default-mode viewer that lost bytes). */
  repaint(): Promise<{ ansi: string; cursor: number }>;
  /** The session's driver lease on behalf of this listener (SPEC §5.5 flow control). */
  flow: FlowHandle;
  detach(): void;
}

/**
 * Sessions of a gateway (SPEC §5), usable in-process by an embedder (`gateway.sessions`).
 * Methods take no principal: tenancy is the routes' job. Unknown ids throw a 404
 * GatewayError, invalid requests a 400, a session in the wrong state a 409.
 */
export interface SessionManager {
  create(request: CreateSessionRequest, owner?: SessionOwner): Promise<Session>;
  list(filter?: SessionFilter): Session[];
  get(id: string): Session | undefined;
  /** `{data}`, `{text}` (typed, then the provider's submit key after a pause) or `{keys}`. */
  input(id: string, input: InputRequest): Promise<void>;
  /** Raw bytes to the PTY, as a stream client's frame. */
  write(id: string, data: string | Buffer): void;
  resize(id: string, cols: number, rows: number): void;
  stop(id: string): Promise<Session>;
  /**
   * Restarts an ended session under the same id, resuming the agent's conversation; counted
   * against (and with the spawn profile of) the integration that created it.
   */
  start(id: string): Promise<Session>;
  /** Stops (if running) and forgets the session, its ring and its history. */
  delete(id: string): Promise<boolean>;
  buffer(id: string, since?: number): Promise<BufferSlice>;
  history(id: string, limit?: number): HistoryEntry[];
  screen(id: string): Promise<Screen>;
  /** Bytes that repaint a terminal to show the current screen. */
  screenAnsi(id: string): Promise<string>;
  /** Live output of one session; returns the unsubscribe function. */
  onData(id: string, listener: (chunk: Buffer, offset: number) => void): () => void;
  /** The ring from `since` and the live output after it, atomically (the stream endpoint). */
  attach(id: string, listener: SessionListener, since?: number): Promise<Attachment>;
}
