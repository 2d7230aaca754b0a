import type Keyv from 'keyv';
import type { CallEntry, CallPage } from '@opendray/sdk/wire';
import { badRequest } from '../../errors.js';
import type { CallLogStore } from '../types.js';
import { isRefusedCredential } from '../../calllog/refused.js';
import { CallLogSeries } from './call-log-series.js';

/**
 * The call log on keyv as two series (`call-log-series.ts`): rows of refused credentials
 * (`isRefusedCredential`: refused tokens, failed logins) apart from the other rows, so each has its own
 * retention and a flood of junk never pushes real rows out (docs/abuse-resistance.md).
 * Live rows are held in memory (bounded by retention) so a filtered, newest-first page is
 * a scan of memory, not of the store, and a page of one integration scans only its rows.
 * A page walks both series newest first, merged by `ts`; cursors are a row number per
 * series, stable across pruning. Rejected rows written before the split stay in the main
 * series until its retention takes them.
 */
export function createKeyvCallLogStore(keyv: Keyv): CallLogStore {
  const main = new CallLogSeries(keyv, 'calls');
  const rejected = new CallLogSeries(keyv, 'calls-rejected');
  const load = (): Promise<unknown> => Promise.all([main.load(), rejected.load()]);

  return {
    async append(entries) {
      if (!entries.length) return;
      await main.append(entries.filter((e) => !isRefusedCredential(e)));
      await rejected.append(entries.filter((e) => isRefusedCredential(e)));
    },

    async query(q): Promise<CallPage> {
      await load();
      const limit = q.limit ?? 100;
      const at = q.cursor !== undefined ? decodeCursor(q.cursor) : { main: Infinity, rejected: Infinity };
      let a = Math.min(main.last, at.main);
      let b = Math.min(rejected.last, at.rejected);
      // Stored `ts` are toISOString() strings, which order like the times they name.
      const since = q.since ? isoOf('since', q.since) : '';
      const until = q.until ? isoOf('until', q.until) : '\uffff';
      // Rows are in completion order and `ts` is the start: a long call may sit after
      // newer ones, so an old row is skipped, never a reason to stop.
      const matches = (e: CallEntry): boolean =>
        e.ts >= since &&
        e.ts <= until &&
        (!q.direction || e.direction === q.direction) &&
        (!q.status_class || Math.floor(e.status_code / 100) === q.status_class);
      const entries: CallEntry[] = [];
      if (q.integration_id !== undefined) {
        // Only real rows carry an integration id.
        const list = main.rowsOf(q.integration_id);
        let i = lastAtMost(list, a);
        for (; i >= 0 && list[i]! >= main.first && entries.length < limit; i--) {
          const e = main.at(list[i]!);
          if (matches(e)) entries.push(e);
        }
        const more = entries.length === limit && i >= 0 && list[i]! >= main.first;
        return { entries, next_cursor: more ? encodeCursor(list[i]!, -1) : null };
      }
      // Refusals are `rejected` rows and failed logins (`admin`): other directions skip that series.
      if (q.direction === 'inbound' || q.direction === 'outbound') b = rejected.first - 1;
      while (entries.length < limit && (a >= main.first || b >= rejected.first)) {
        const fromMain = b < rejected.first || (a >= main.first && main.at(a).ts >= rejected.at(b).ts);
        const e = fromMain ? main.at(a--) : rejected.at(b--);
        if (matches(e)) entries.push(e);
      }
      const more = entries.length === limit && (a >= main.first || b >= rejected.first);
      return { entries, next_cursor: more ? encodeCursor(a, b) : null };
    },

    async prune({ maxRows, olderThan, rejected: own }) {
      await load();
      const limits = own ?? { maxRows, olderThan };
      return (await main.prune(maxRows, olderThan)) + (await rejected.prune(limits.maxRows, limits.olderThan));
    },
  };
}

/** Index of the last element ≤ `max` in an ascending list, or -1. */
function lastAtMost(list: readonly number[], max: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! <= max) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

/** Where the next page starts in each series (inclusive; -1: nothing more there). */
function encodeCursor(mainRow: number, rejectedRow: number): string {
  return Buffer.from(`r${mainRow}.${rejectedRow}`).toString('base64url');
}

function decodeCursor(cursor: string): { main: number; rejected: number } {
  const m = /^r(-1|\d{1,15})(?:\.(-1|\d{1,15}))?$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequest('cursor: not a cursor from a previous page');
  // A cursor from before the split names the main series only.
  return { main: Number(m[1]), rejected: m[2] === undefined ? -1 : Number(m[2]) };
}

function isoOf(field: string, time: string): string {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw badRequest(`${field}: must be an RFC 3339 timestamp`);
  return new Date(ms).toISOString();
}
