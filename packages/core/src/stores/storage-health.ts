import type Keyv from 'keyv';
import { sqliteStoreOf } from './keyv/open.js';
import { writerFor } from './keyv/writer.js';

/** Why a part of the gateway cannot keep its promises (a short public sentence), or null. */
export type HealthCheck = () => Promise<string | null>;

const PROBE_TIMEOUT_MS = 2_000;

/**
 * The store's health for `/health` (SPEC §4): degraded when it does not answer in 2 s,
 * when its file was deleted or replaced while running, or while writes fail. After a
 * failed write a small probe write is tried on each check, so the status clears once the
 * store takes writes again (disk space freed).
 */
export function storageHealthCheck(keyv: Keyv): HealthCheck {
  const writer = writerFor(keyv);
  const sqlite = sqliteStoreOf(keyv);
  return async () => {
    try {
      if (sqlite) {
        const file = await withTimeout(sqlite.health());
        if (!file.ok) return 'store: the store file was deleted or replaced while the gateway runs';
      } else {
        await withTimeout(keyv.get('health:probe'));
      }
    } catch {
      return 'store: not answering';
    }
    if (writer.lastFailure) {
      const reason = writer.lastFailure.reason;
      try {
        await withTimeout(writer.apply([{ key: 'health:probe', value: Date.now() }], 'normal'));
      } catch {
        return `store: writes fail (${reason})`;
      }
    }
    return null;
  };
}

async function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
