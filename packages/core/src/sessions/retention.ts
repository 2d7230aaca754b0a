import type { Session } from '@opendray/sdk/wire';
import type { EventBus } from '../bus/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/** How many ended sessions each owner keeps (docs/sessions.md "Retention"). */
export interface SessionRetentionOptions {
  /** Ended or stopped sessions kept per integration (interrupted ones and the operator's are only aged out). @default 50 */
  maxEndedPerOwner?: number;
  /** Stored bytes (output tail plus record) of an integration's ended or stopped sessions. @default 67_108_864 (64 MiB) */
  maxEndedBytesPerOwner?: number;
  /** An ended session is forgotten this long after it ended. @default 604_800_000 (7 days) */
  maxAgeMs?: number;
  /** How often the age limit is applied on a quiet gateway. @default 60_000 */
  sweepIntervalMs?: number;
}

export interface SessionRetentionDeps {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  /** Every session the manager holds. */
  list(): Session[];
  /** The manager's delete path (it also removes whatever the session stored). */
  forget(id: string): Promise<unknown>;
  /** Ring size: what one ended session's stored tail can hold at most. */
  bufferBytes: number;
}

const LIVE = new Set(['running', 'idle']);
const RECORD_OVERHEAD_BYTES = 2048;

/**
 * The bytes an ended session keeps in the store: its output tail (at most one ring) and
 * its record. The one place that knows this, so a store that keeps more (e.g. a
 * full output file) changes only here.
 */
export function storedBytesOf(session: Session, bufferBytes: number): number {
  return Math.min(session.bytes_out, bufferBytes) + RECORD_OVERHEAD_BYTES;
}

function int(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new TypeError(`sessionRetention.${name} must be an integer >= 0 (got ${v})`);
  return v;
}

/**
 * Forgets ended sessions beyond each integration's count and bytes, and any past the age
 * limit (oldest ended first),
 * through the manager's delete path, whenever a session ends and once a minute. Live
 * sessions are never touched (`max_sessions` bounds those). Returns a stop function.
 */
export function startSessionRetention(options: SessionRetentionOptions, deps: SessionRetentionDeps): () => void {
  const maxCount = int('maxEndedPerOwner', options.maxEndedPerOwner, 50);
  const maxBytes = int('maxEndedBytesPerOwner', options.maxEndedBytesPerOwner, 64 * 1024 * 1024);
  const maxAgeMs = int('maxAgeMs', options.maxAgeMs, 7 * 24 * 3600_000);
  const forgetting = new Set<string>();
  let scheduled = false;

  const sweep = async (): Promise<void> => {
    scheduled = false;
    const cutoff = deps.clock.now() - maxAgeMs;
    const byOwner = new Map<string, Session[]>();
    for (const s of deps.list()) {
      if (LIVE.has(s.state) || forgetting.has(s.id)) continue;
      const owner = s.integration_id ?? '';
      const list = byOwner.get(owner) ?? [];
      list.push(s);
      byOwner.set(owner, list);
    }
    const doomed: string[] = [];
    for (const ended of byOwner.values()) {
      // Newest first: what is kept is decided from the newest down.
      ended.sort((a, b) => endOf(b).localeCompare(endOf(a)) || b.id.localeCompare(a.id));
      let bytes = 0;
      let counted = 0;
      for (const s of ended) {
        const tooOld = Date.parse(endOf(s)) < cutoff;
        // Count and bytes bound what a tenant leaves behind. The operator's own sessions, and
        // sessions a gateway shutdown interrupted (resumable with /start, made by no tenant),
        // are only aged out: a restart must never cost the operator their sessions.
        if (s.integration_id && s.state !== 'interrupted') {
          bytes += storedBytesOf(s, deps.bufferBytes);
          counted++;
          if (counted > maxCount || bytes > maxBytes) {
            doomed.push(s.id);
            continue;
          }
        }
        if (tooOld) doomed.push(s.id);
      }
    }
    for (const id of doomed) {
      forgetting.add(id);
      try {
        await deps.forget(id);
      } catch (err) {
        deps.logger.warn('could not forget an ended session', { session_id: id, error: err });
      } finally {
        forgetting.delete(id);
      }
    }
  };

  // After the end is recorded (the manager persists it in the same turn), not during it.
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void sweep());
  };

  // Every end topic (SPEC §16: an exit is session.ended, a stop session.stopped).
  const unsubscribe = deps.bus.subscribe(['session.ended', 'session.stopped', 'session.interrupted'], schedule);
  const timer = setInterval(schedule, options.sweepIntervalMs ?? 60_000);
  timer.unref();
  schedule();
  return () => {
    unsubscribe();
    clearInterval(timer);
  };
}

const endOf = (s: Session): string => s.ended_at ?? s.started_at;
