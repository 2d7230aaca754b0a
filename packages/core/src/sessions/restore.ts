import type { SessionState } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { Clock } from '../clock.js';
import type { SessionRecord } from '../stores/types.js';
import type { OutputLog } from './output-log.js';

const LIVE_STATES = new Set<SessionState>(['running', 'idle']);

/**
 * A stored session as it comes back at start (SPEC §5.3): one that was running is
 * `interrupted`, and its cursor continues after whatever its output files hold (they may
 * run past the record after a crash: the cursor never moves back). `changed` says whether
 * the record must be written again.
 */
export async function restoredRecord(record: SessionRecord, output: OutputLog | undefined, clock: Clock): Promise<{ record: SessionRecord; changed: boolean }> {
  let next = record;
  const end = (await output?.end(record.id)) ?? 0;
  if (end > next.bytes_out) next = { ...next, bytes_out: end };
  if (LIVE_STATES.has(next.state)) {
    const { pid: _p, idle_since: _i, ...rest } = next;
    next = { ...rest, state: 'interrupted', ended_at: rest.ended_at ?? isoTime(clock.now()) };
  }
  return { record: next, changed: next !== record };
}

/** Removes the output of sessions the store no longer knows (a crash between a delete and its cleanup). */
export async function dropOrphanOutput(output: OutputLog | undefined, records: readonly SessionRecord[]): Promise<void> {
  if (!output) return;
  const known = new Set(records.map((r) => r.id));
  for (const id of await output.sessionIds()) {
    if (!known.has(id)) await output.remove(id).catch(() => undefined);
  }
}
