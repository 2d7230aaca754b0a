import { setTimer, type Clock } from '../clock.js';
import type { SessionObserver } from './observer.js';

/** What the idle observer may change: the session's `running ⇄ idle` state (SPEC §5.3). */
export interface IdleHost {
  clock: Clock;
  thresholdMs: number;
  isIdle(): boolean;
  /** Output stopped `quietMs` ago: enter `idle` and publish `session.idle`. */
  markIdle(quietMs: number): void;
  /** Output resumed: enter `running` and publish `session.active`. */
  markActive(): void;
}

/**
 * The first built-in session observer: `idle` after `idleThresholdMs` of no output, back
 * to `running` on the next byte. One timer per session on the gateway clock, re-armed for
 * the remaining quiet time, so detection lands within the threshold plus timer slack.
 */
export function createIdleObserver(host: IdleHost): SessionObserver & { start(): void } {
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
    if (quiet < host.thresholdMs) return arm(host.thresholdMs - quiet);
    host.markIdle(quiet);
  }

  return {
    start() {
      lastOutputAt = host.clock.now();
      arm(host.thresholdMs);
    },
    data(_chunk, _offset, at) {
      lastOutputAt = at;
      if (host.isIdle()) host.markActive();
      arm(host.thresholdMs);
    },
    ended() {
      ended = true;
      cancel?.();
      cancel = null;
    },
  };
}
