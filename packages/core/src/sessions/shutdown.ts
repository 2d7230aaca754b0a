import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import type { Logger } from '../log.js';
import type { SessionStore } from '../stores/types.js';
import type { SessionPersistence } from './persistence.js';
import type { LiveSession } from './session.js';

/** How long shutdown waits for processes to exit and their trees to be gone, at most (SPEC §5.7: 10 s in all). */
const MAX_STOP_WAIT_MS = 6_000;
/** Beyond the grace: for the SIGKILLed to be confirmed gone and exits to be reported. */
const AFTER_GRACE_MS = 2_500;

export interface ShutdownDeps {
  persistence: SessionPersistence;
  store: SessionStore;
  clock: Clock;
  logger: Logger;
  graceMs: number;
}

/**
 * Gateway shutdown of every session (SPEC §5.7: within 10 s, whatever their number):
 * 1. save first — output on disk and every running record stored as `interrupted`, so a
 *    shutdown cut short (a second signal, a deadline) still leaves the truth behind;
 * 2. stop every process tree at once (one /proc pass serves them all), each publishing
 *    `session.interrupted` (SPEC §16) while subscribers are still connected;
 * 3. wait, bounded, for the exits and for leftovers to be gone; then store the final
 *    records (exit codes) and fsync the output files.
 */
export async function shutdownSessions(all: LiveSession[], deps: ShutdownDeps): Promise<void> {
  const { persistence, store, logger } = deps;
  const live = all.filter((s) => s.live);
  const endedAt = isoTime(deps.clock.now());
  await persistence.settle();
  await Promise.all(
    live.map((s) => {
      const { pid: _p, idle_since: _i, ...rest } = s.toRecord();
      return store.put({ ...rest, state: 'interrupted', ended_at: endedAt }).catch((err: unknown) => {
        logger.error('could not save a session before shutdown', { session_id: s.id, error: err });
      });
    }),
  );

  const began = Date.now();
  const budget = Math.min(deps.graceMs + AFTER_GRACE_MS, MAX_STOP_WAIT_MS);
  const stopped = await within(Promise.all(live.map((s) => s.stop('interrupted'))), budget);
  if (!stopped) logger.warn('shutdown: some sessions did not report their exit in time', { sessions: live.filter((s) => s.live).length });
  // What outlived its shell gets SIGKILL at the end of the grace: wait for it too.
  const reaped = await within(Promise.all(live.map((s) => s.reaped)), Math.max(0, budget - (Date.now() - began)));
  if (!reaped) logger.warn('shutdown: some session processes may still be running');

  // Ended sessions saved themselves as they exited; the ones that never reported are kept as stored in step 1.
  await Promise.all(live.filter((s) => s.live).map((s) => persistence.saveTail(s)));
  await persistence.settle();
  await persistence.output?.closeAll();
}

/** Whether `p` settled within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
