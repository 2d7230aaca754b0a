import type { CallEntry, CallPage, CallQuery } from '@opendray/sdk/wire';

/** The audit log of integration calls (SPEC §10). */
export interface CallLog {
  /** Queues an entry (`bytes_written` is `bytes_out`, v2's name); never waits on the store and never throws. */
  record(entry: Omit<CallEntry, 'id' | 'bytes_written'>): void;
  /** Newest first, after flushing what is queued. */
  query(query: CallQuery): Promise<CallPage>;
  /** Writes everything queued. */
  flush(): Promise<void>;
  /** Flushes and stops the timers. */
  close(): Promise<void>;
}
