import type { SessionState } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
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

/**
 * Settles deletes a crash cut short (OutputLog.recover) and reports output directories of
 * sessions the store does not know: kept, since the store may have been lost or restored.
 */
export async function recoverOutput(output: OutputLog | undefined, records: readonly SessionRecord[], logger: Logger): Promise<void> {
  if (!output) return;
  const unknown = await output.recover(new Set(records.map((r) => r.id)));
  if (unknown.length > 0) {
    logger.warn('session output directories without a stored session are kept (was the store lost or restored?)', { count: unknown.length, sessions: unknown.slice(0, 10) });
  }
}
