import { setTimer, type Clock } from '../clock.js';
import type { ObservedSession, SessionObserver } from './observer.js';
import { screenText } from './screen-text.js';

/** What the idle observer may change: the session's `running ⇄ idle` state (SPEC §5.3). */
export interface IdleHost {
  clock: Clock;
  thresholdMs: number;
  isIdle(): boolean;
  /** Enters `idle` (true, setting `idle_since`) or `running` (false). */
  setIdle(idle: boolean): void;
  /** Paused by its driver (SPEC §5.5): the program is waiting to print, not idle. */
  isPaused(): boolean;
  /** Runs a publish on the session's event queue, in order with its other lifecycle events. */
  enqueue(event: () => void | Promise<void>): void;
}

export type IdleObserver = SessionObserver & {
  start(): void;
  /** A paused output resumed: the quiet time starts again. */
  resumed(): void;
};

/** While paused, the check comes back this often. */
const PAUSED_RECHECK_MS = 1_000;

/**
 * The first built-in session observer: `idle` after `idleThresholdMs` of no output, back
 * to `running` on the next byte. One timer per session on the gateway clock, re-armed for
 * the remaining quiet time, so detection lands within the threshold plus timer slack.
 * `session.idle` carries `origin` and `recent_output`, the visible screen (v2, SPEC §16):
 * the screen catches up first, and a `session.active` after it is published after it.
 */
export function createIdleObserver(session: ObservedSession, host: IdleHost): IdleObserver {
  let lastOutputAt = host.clock.now();
  let cancel: (() => void) | null = null;
  let ended = false;

  const arm = (ms: number): void => {
    cancel ??= setTimer(host.clock, check, ms);
  };
  function check(): void {
    cancel = null;
    if (ended || host.isIdle()) return;
    const quiet = host.clock.now() - lastOutputAt;
    if (host.isPaused()) return arm(PAUSED_RECHECK_MS);
    if (quiet < host.thresholdMs) return arm(host.thresholdMs - quiet);
    host.setIdle(true);
    host.enqueue(async () => {
      const recent = screenText((await session.screen()).lines);
      session.publish('session.idle', { session_id: session.id, idle_for_ms: quiet, origin: session.record().origin, recent_output: recent });
    });
  }

  return {
    start() {
      lastOutputAt = host.clock.now();
      arm(host.thresholdMs);
    },
    resumed() {
      lastOutputAt = host.clock.now();
    },
    data(_chunk, _offset, at) {
      lastOutputAt = at;
      if (host.isIdle()) {
        host.setIdle(false);
        host.enqueue(() => session.publish('session.active', { session_id: session.id }));
      }
      arm(host.thresholdMs);
    },
    ended() {
      ended = true;
      cancel?.();
      cancel = null;
    },
  };
}
