import { rateLimited, unavailable } from '../errors.js';
import type { SessionOwner } from './types.js';

/** What the slots count: the live sessions (running or idle) and whom they belong to. */
export interface LiveSessions {
  values(): Iterable<{ live: boolean; record: { integration_id?: string } }>;
}

/**
 * Live-session slots (SPEC §16 "limits"): the gateway-wide cap protects the machine (503),
 * an integration's opt-in `max_sessions` bounds it (429; absent or null: no cap). Creates
 * and restarts in flight count too, and a slot is reserved synchronously, so concurrent
 * requests cannot overshoot. `reserve` returns the release function.
 */
export function createSessionSlots(sessions: LiveSessions, gatewayCap: () => number) {
  /** Creates and restarts in progress per integration, and in all. */
  const pending = new Map<string, number>();
  let pendingTotal = 0;

  const live = (integrationId?: string): number => {
    let n = integrationId === undefined ? pendingTotal : (pending.get(integrationId) ?? 0);
    for (const s of sessions.values()) if (s.live && (integrationId === undefined || s.record.integration_id === integrationId)) n++;
    return n;
  };

  return {
    reserve(owner: SessionOwner | undefined): () => void {
      const cap = gatewayCap();
      if (live() >= cap) {
        throw unavailable(`the gateway already runs its maximum of ${cap} live sessions (option maxLiveSessions); stop one, or ask the operator to raise the limit`);
      }
      const id = owner?.integrationId;
      const max = owner?.maxSessions ?? null;
      if (id && max !== null && live(id) >= max) throw rateLimited(30, `max_sessions (${max}) reached for this integration`);
      pendingTotal++;
      if (id) pending.set(id, (pending.get(id) ?? 0) + 1);
      return () => {
        pendingTotal--;
        if (!id) return;
        const left = (pending.get(id) ?? 1) - 1;
        if (left > 0) pending.set(id, left);
        else pending.delete(id);
      };
    },
  };
}
