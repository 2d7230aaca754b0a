import type { Logger } from '../log.js';
import type { SessionStore } from '../stores/types.js';
import type { LiveSession } from './session.js';
import { createKeyedQueue } from '../serial-queue.js';

/** How often the tails of sessions that printed something are saved (a crash loses at most this much). */
const TAIL_SAVE_INTERVAL_MS = 30_000;

/**
 * Writes sessions to the store without ever blocking their output path: record writes are
 * coalesced per session (one in flight, at most one more queued), tails are saved when a
 * session ends, every 30 s for sessions whose cursor moved, and on shutdown. A write for
 * a session that has since been forgotten is skipped, so a late write cannot resurrect it.
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
  ) {}

  /** Starts the periodic tail save over `sessions()`. */
  startPeriodic(sessions: () => Iterable<LiveSession>): void {
    this.timer = setInterval(() => {
      for (const s of sessions()) if (s.live && this.savedCursor.get(s.id) !== s.record.bytes_out) void this.saveTail(s);
    }, TAIL_SAVE_INTERVAL_MS);
    this.timer.unref();
  }

  stopPeriodic(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Schedules a write of the record; resolves once a write that includes this change is done. */
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
        this.logger.error('session record write failed', { session_id: id, error: err });
      } finally {
        this.inFlight.delete(id);
      }
    })();
    this.inFlight.set(id, write);
    return write;
  }

  /** Saves the ring (and the record), then lets an ended session drop its ring from memory. */
  saveTail(session: LiveSession): Promise<void> {
    return this.tailWrites.run(session.id, () => this.writeTail(session));
  }

  private async writeTail(session: LiveSession): Promise<void> {
    const ring = session.ringIfLoaded();
    if (!this.isKnown(session)) return;
    if (!ring) return this.saveRecord(session);
    const { start, bytes, cursor } = ring.read();
    try {
      await this.store.saveTail(session.id, { start, bytes });
      this.savedCursor.set(session.id, cursor);
      await this.saveRecord(session);
      if (!session.live && session.ringIfLoaded() === ring && ring.cursor === cursor && this.isKnown(session)) session.releaseRing();
    } catch (err) {
      this.logger.error('session tail write failed', { session_id: session.id, error: err });
    }
  }

  /** Waits for every write in flight (shutdown, delete). */
  async settle(id?: string): Promise<void> {
    if (id !== undefined) {
      await Promise.all([this.tailWrites.idle(id), this.inFlight.get(id)]);
      return;
    }
    await Promise.all([this.tailWrites.idle(), ...this.inFlight.values()]);
    await Promise.all(this.inFlight.values());
  }

  forget(id: string): void {
    this.savedCursor.delete(id);
    this.dirty.delete(id);
  }
}
