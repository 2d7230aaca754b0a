import type { HealthStatus } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { Capability, GatewayContext } from '../context.js';
import { signatureHeader } from '../proxy/signature.js';
import type { IntegrationRecord } from '../stores/types.js';
import { createLimiter } from './limiter.js';
import { probeHealth, type ProbeOutcome } from './probe.js';
import { nextHealth } from './transition.js';

/** Probes running at once, whatever the number of integrations. */
const MAX_CONCURRENT_PROBES = 16;
/** A `/health` body larger than this is not read (and the probe fails). */
const MAX_HEALTH_BODY_BYTES = 64 * 1024;

interface Tracker {
  failures: number;
  timer?: NodeJS.Timeout;
  /** Waiting for a slot under the concurrency cap. */
  queued: boolean;
  inflight?: AbortController;
  /** Probe again as soon as the current one ends (the integration changed meanwhile). */
  again: boolean;
}

const probed = (r: IntegrationRecord): boolean => r.enabled && r.base_url !== '';

/**
 * Health probes of every enabled integration with a base_url (SPEC §9): at start, on
 * registration, on a base_url or enabled change, and every `healthIntervalMs` with jitter;
 * at most one probe per integration and 16 overall at a time; each bounded by
 * `healthTimeoutMs` and 64 KiB of body. Status changes are stored and published as
 * `integration.health_changed`. `stop` clears the timers and aborts probes in flight.
 */
export function createHealthCapability(ctx: GatewayContext): Capability {
  const trackers = new Map<string, Tracker>();
  const running = new Set<Promise<void>>();
  const limiter = createLimiter(MAX_CONCURRENT_PROBES);
  const intervalMs = ctx.options.healthIntervalMs;
  let sweepTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = false;

  const trackerOf = (id: string): Tracker => {
    let t = trackers.get(id);
    if (!t) trackers.set(id, (t = { failures: 0, queued: false, again: false }));
    return t;
  };

  /** Probes `id` after `delayMs`, unless a probe of it is already waiting or running. */
  const schedule = (id: string, delayMs: number): void => {
    const t = trackerOf(id);
    if (stopped || t.timer || t.queued || t.inflight) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      const done = probeOnce(id, t);
      running.add(done);
      void done.finally(() => running.delete(done));
    }, delayMs);
    t.timer.unref();
  };

  /** The integration changed: what a running probe finds out no longer counts. */
  const restart = (id: string): void => {
    const t = trackerOf(id);
    clearTimeout(t.timer);
    t.timer = undefined;
    if (t.inflight) {
      t.again = true;
      t.inflight.abort();
    }
    schedule(id, 0);
  };

  const forget = (id: string): void => {
    const t = trackers.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    t.inflight?.abort();
    trackers.delete(id);
  };

  const probeOnce = async (id: string, t: Tracker): Promise<void> => {
    t.queued = true;
    try {
      await limiter.run(async () => {
        t.queued = false;
        const record = stopped ? undefined : await ctx.stores.integrations.get(id);
        if (!record || !probed(record)) return;
        const controller = new AbortController();
        t.inflight = controller;
        const outcome = await probeHealth({
          url: healthUrl(record.base_url),
          headers: probeHeaders(record, ctx.clock.now()),
          timeoutMs: ctx.options.healthTimeoutMs,
          signal: controller.signal,
          maxBodyBytes: MAX_HEALTH_BODY_BYTES,
        });
        t.inflight = undefined;
        if (!controller.signal.aborted && !stopped) await apply(record.base_url, id, t, outcome);
      });
    } catch (err) {
      // A store failure must not kill the prober; the next sweep tries again.
      ctx.logger.error('health probe could not be recorded', { integration_id: id, error: err });
    } finally {
      t.queued = false;
      t.inflight = undefined;
    }
    if (t.again && !stopped && trackers.get(id) === t) {
      t.again = false;
      schedule(id, 0);
    }
  };

  const apply = async (probedUrl: string, id: string, t: Tracker, outcome: ProbeOutcome): Promise<void> => {
    let from: HealthStatus = 'unknown';
    let to: HealthStatus = 'unknown';
    let payload: Record<string, unknown> | undefined;
    const updated = await ctx.stores.integrations.update(id, (current) => {
      // Changed while the probe ran: its answer is about something that no longer exists.
      if (current.base_url !== probedUrl || !current.enabled) return current;
      const step = nextHealth(current.health_status, t.failures, outcome);
      from = current.health_status;
      to = step.status;
      t.failures = step.failures;
      payload = outcome.payload ?? (outcome.kind === 'failure' ? { error: outcome.reason } : undefined);
      const { health_payload: _dropped, ...rest } = current;
      return {
        ...rest,
        health_status: step.status,
        ...(payload ? { health_payload: payload } : {}),
        ...(outcome.kind === 'failure' ? {} : { health_last_seen: isoTime(ctx.clock.now()) }),
      };
    });
    if (!updated) return forget(id);
    if (from !== to) {
      ctx.logger.info('integration health changed', { integration_id: id, from, to });
      // v2's name; subscribers naming the guide's `integration.health_change` get it under that (SPEC §16).
      ctx.bus.publish('integration.health_changed', { integration_id: id, from, to, payload: payload ?? null }, { tenant: id });
    }
  };

  const sweep = async (jitterMs: number): Promise<void> => {
    let records: IntegrationRecord[];
    try {
      records = await ctx.stores.integrations.list();
    } catch (err) {
      ctx.logger.error('health sweep could not list integrations', { error: err });
      return;
    }
    const ids = new Set(records.map((r) => r.id));
    for (const id of trackers.keys()) if (!ids.has(id)) forget(id);
    // Jitter spreads the probes so integrations sharing a host are not hit in one burst.
    for (const r of records) if (probed(r)) schedule(r.id, Math.random() * jitterMs);
  };

  return {
    async start() {
      unsubscribe = ctx.bus.subscribe(['integration.registered', 'integration.updated', 'integration.deregistered'], (event) => {
        const id = typeof event.data.integration_id === 'string' ? event.data.integration_id : undefined;
        if (!id) return;
        if (event.topic === 'integration.deregistered') return forget(id);
        if (event.topic === 'integration.registered') return schedule(id, 0);
        const changed = Array.isArray(event.data.changed) ? event.data.changed : [];
        if (changed.includes('base_url')) trackerOf(id).failures = 0;
        if (changed.includes('base_url') || changed.includes('enabled')) restart(id);
      });
      void sweep(0);
      sweepTimer = setInterval(() => void sweep(Math.min(intervalMs / 10, 1_000)), intervalMs);
      sweepTimer.unref();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      clearInterval(sweepTimer);
      for (const id of [...trackers.keys()]) forget(id);
      await Promise.allSettled([...running]);
    },
  };
}

function healthUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/health`;
  url.search = '';
  url.hash = '';
  return url;
}

/** Probes carry the same identity headers as proxied calls, so an integration can tell them apart. */
function probeHeaders(record: IntegrationRecord, nowMs: number): Record<string, string> {
  const url = healthUrl(record.base_url);
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'opendray-health/1',
    'x-integration-id': record.id,
    'x-opendray-api': 'v1',
  };
  if (record.signing_secret) {
    headers['x-opendray-timestamp'] = String(timestamp);
    headers['x-opendray-signature'] = signatureHeader(record.signing_secret, {
      timestamp,
      method: 'GET',
      target: url.pathname,
      integrationId: record.id,
    });
  }
  return headers;
}
