import type { Logger } from '../log.js';
import type { SessionStore } from '../stores/types.js';
import type { OutputLog } from './output-log.js';
import type { LiveSession } from './session.js';
import { createKeyedQueue } from '../serial-queue.js';

/** Without an output log: how often the tails of sessions that printed something are saved. */
const TAIL_SAVE_INTERVAL_MS = 30_000;

/**
 * Writes sessions to the store without ever blocking their output path. Record writes are
 * coalesced per session (one in flight, at most one more queued) and every caller learns
 * whether the write that includes its change was stored (a rejection is a 503 to answer).
 * A write for a session that has since been forgotten is skipped, so a late write cannot
 * resurrect it.
 *
 * Output goes to the output log when there is one (`opendray serve`: files under the data
 * dir, written as it arrives); otherwise (the in-memory embedder default) tails are saved
 * in the store when a session ends, every 30 s for sessions whose cursor moved, and on
 * shutdown.
 */
export class SessionPersistence {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly tailWrites = createKeyedQueue();
  private readonly dirty = new Set<string>();
  private readonly savedCursor = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: SessionStore,
    private readonly logger: Logger,
    private readonly isKnown: (session: LiveSession) => boolean,
    readonly output: OutputLog | undefined,
    private readonly bufferBytes: number,
  ) {}

  /** Starts the periodic tail save over `sessions()` (only without an output log). */
  startPeriodic(sessions: () => Iterable<LiveSession>): void {
    if (this.output) return;
    this.timer = setInterval(() => {
      for (const s of sessions()) if (s.live && this.savedCursor.get(s.id) !== s.record.bytes_out) void this.saveTail(s);
    }, TAIL_SAVE_INTERVAL_MS);
    this.timer.unref();
  }

  stopPeriodic(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Schedules a write of the record; resolves once a write that includes this change is stored. */
  saveRecord(session: LiveSession): Promise<void> {
    const id = session.id;
    const running = this.inFlight.get(id);
    if (running) {
      // The loop below re-reads the record before it finishes, so this change is included.
      this.dirty.add(id);
      return running;
    }
    const write = (async () => {
      try {
        do {
          this.dirty.delete(id);
          if (!this.isKnown(session)) return;
          await this.store.put(session.toRecord());
        } while (this.dirty.has(id));
      } catch (err) {
        this.dirty.delete(id);
        this.logger.error('session record write failed', { session_id: id, error: err });
        throw err;
      } finally {
        this.inFlight.delete(id);
      }
    })();
    this.inFlight.set(id, write);
    write.catch(() => undefined);
    return write;
  }

  /** Bytes read from the PTY, to the output log (before anyone sees them). */
  recordOutput(session: LiveSession, chunk: Buffer, offset: number): void {
    this.output?.append(session.id, chunk, offset, Date.now());
  }

  flushOutput(session: LiveSession): void {
    this.output?.flush(session.id);
  }

  /** The ring of a session that is not in memory: from the output log, else the stored tail. */
  loadTail(id: string): Promise<{ start: number; bytes: Buffer } | undefined> {
    return this.output ? this.output.tail(id, this.bufferBytes) : this.store.loadTail(id);
  }

  /**
   * Makes the output safe and saves the record, then lets an ended session drop its ring
   * from memory (it is read back from disk or the store on demand).
   */
  saveTail(session: LiveSession): Promise<void> {
    return this.tailWrites.run(session.id, () => this.writeTail(session));
  }

  private async writeTail(session: LiveSession): Promise<void> {
    const ring = session.ringIfLoaded();
    if (!this.isKnown(session)) return;
    if (!ring) return this.saveRecord(session).catch(() => undefined);
    const { start, bytes, cursor } = ring.read();
    try {
      if (this.output) {
        if (!session.live) await this.output.close(session.id);
      } else {
        await this.store.saveTail(session.id, { start, bytes });
      }
      this.savedCursor.set(session.id, cursor);
      await this.saveRecord(session);
      const safe = !this.output || !this.output.failing();
      if (safe && !session.live && session.ringIfLoaded() === ring && ring.cursor === cursor && this.isKnown(session)) session.releaseRing();
    } catch (err) {
      this.logger.error('session tail write failed', { session_id: session.id, error: err });
    }
  }

  /** Waits for every write in flight (shutdown, delete). */
  async settle(id?: string): Promise<void> {
    const quiet = (p: Promise<void> | undefined): Promise<void> | undefined => p?.catch(() => undefined);
    if (id !== undefined) {
      await Promise.all([this.tailWrites.idle(id), quiet(this.inFlight.get(id))]);
      return;
    }
    await Promise.all([this.tailWrites.idle(), ...[...this.inFlight.values()].map(quiet)]);
    await Promise.all([...this.inFlight.values()].map(quiet));
  }

  forget(id: string): void {
    this.savedCursor.delete(id);
    this.dirty.delete(id);
  }
}
