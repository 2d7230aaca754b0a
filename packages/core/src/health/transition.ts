import type { HealthStatus } from '@opendray/sdk/wire';
import type { ProbeOutcome } from './probe.js';

/** Where an integration's health goes after one probe. */
export interface HealthStep {
  status: HealthStatus;
  /** Consecutive failed probes so far. */
  failures: number;
}

/**
 * SPEC §9 hysteresis: a healthy or degraded answer is taken at once; a failure makes the
 * integration `degraded` the first time and `unhealthy` from the second consecutive one.
 * `unhealthy` is left only through a successful probe, never by a failure count reset. A
 * 2xx that says `unhealthy` is taken at once and leaves the failure count as it is (SPEC §16, v2).
 */
export function nextHealth(current: HealthStatus, failures: number, outcome: ProbeOutcome): HealthStep {
  if (outcome.kind === 'unhealthy') return { status: 'unhealthy', failures };
  if (outcome.kind !== 'failure') return { status: outcome.kind, failures: 0 };
  const count = failures + 1;
  return { status: count >= 2 || current === 'unhealthy' ? 'unhealthy' : 'degraded', failures: count };
}
