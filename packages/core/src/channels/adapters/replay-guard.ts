/** Remembers signatures seen inside their replay window, bounded in memory. */
export interface ReplayGuard {
  /**
   * True the first time `signature` is presented (it is remembered until its timestamp
   * leaves the window); false for a replay, and false when the memory is full of live
   * signatures (refusing is safer than forgetting one that could then be replayed).
   */
  firstUse(signature: string, timestampS: number, nowMs: number): boolean;
  readonly size: number;
}

/**
 * Inbound webhook signatures are timestamped and accepted for ±`windowS` seconds; within
 * that window a captured request could be sent again. Each accepted signature is kept
 * until its timestamp is out of the window (after which the timestamp check refuses it
 * anyway), so every signed request is accepted once. The check-and-remember is
 * synchronous: two copies racing each other cannot both pass.
 */
export function createReplayGuard({ windowS, maxEntries }: { windowS: number; maxEntries: number }): ReplayGuard {
  const seen = new Map<string, number>();
  let lastSweep = 0;
  const sweep = (nowMs: number): void => {
    lastSweep = nowMs;
    for (const [sig, expires] of seen) if (expires <= nowMs) seen.delete(sig);
  };
  return {
    firstUse(signature, timestampS, nowMs) {
      const key = signature.trim().toLowerCase();
      const known = seen.get(key);
      if (known !== undefined && known > nowMs) return false;
      // Full: drop what has expired, at most once a second so a flood costs no repeated scans.
      if (seen.size >= maxEntries && nowMs - lastSweep >= 1000) sweep(nowMs);
      if (seen.size >= maxEntries) return false;
      seen.set(key, (timestampS + windowS) * 1000);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
