import type Keyv from 'keyv';
import { Health } from '@opendray/sdk/wire';
import { defineRoute, json, type Route } from '../route.js';

/** `GET /health` (public): 200 ok, or 503 degraded when the store does not answer in 2 s. */
export function healthRoutes(deps: { keyv: Keyv; version: string; startedAt: number; now: () => number }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      access: 'public',
      operationId: 'health',
      summary: 'Liveness and store reachability',
      response: { 200: Health, 503: { schema: Health, description: 'The store is unreachable: status "degraded"' } },
      async handler() {
        const storeOk = await reachable(deps.keyv);
        const body: Health = {
          status: storeOk ? 'ok' : 'degraded',
          version: deps.version,
          uptime_s: Math.floor((deps.now() - deps.startedAt) / 1000),
        };
        return json(body, storeOk ? 200 : 503);
      },
    }),
  ];
}

async function reachable(keyv: Keyv): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), 2000);
  });
  try {
    return await Promise.race([keyv.get('health:probe').then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
