import { Health } from '@opendray/sdk/wire';
import type { HealthCheck } from '../../stores/storage-health.js';
import { defineRoute, json, type Route } from '../route.js';

/**
 * `GET /health` (public): 200 ok, or 503 degraded with a `reason` when a check fails — the
 * store does not answer, its file is gone, writes fail, session output cannot be written.
 */
export function healthRoutes(deps: { checks: HealthCheck[]; version: string; startedAt: number; now: () => number }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      access: 'public',
      operationId: 'health',
      summary: 'Liveness, store reachability and whether writes succeed',
      response: {
        200: Health,
        503: { schema: Health, description: 'Degraded: the store is unreachable, its file is gone, or writes (store, session output) fail' },
      },
      async handler() {
        const reasons = (await Promise.all(deps.checks.map((check) => check().catch(() => 'a health check failed')))).filter(
          (r): r is string => r !== null,
        );
        const body: Health = {
          status: reasons.length === 0 ? 'ok' : 'degraded',
          version: deps.version,
          uptime_s: Math.floor((deps.now() - deps.startedAt) / 1000),
          ...(reasons.length ? { reason: reasons.join('; ') } : {}),
        };
        return json(body, reasons.length === 0 ? 200 : 503);
      },
    }),
  ];
}
