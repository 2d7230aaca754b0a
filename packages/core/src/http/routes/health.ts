import type Keyv from 'keyv';
import type { Health } from '@opendray/sdk/wire';
import { json, type Route } from '../route.js';

/** `GET /health` (public): 200 ok, or 503 degraded when the store does not answer in 2 s. */
export function healthRoutes(deps: { keyv: Keyv; version: string; startedAt: number; now: () => number }): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      access: 'public',
      summary: 'Liveness and store reachability',
      async handler() {
        const storeOk = await reachable(deps.keyv);
        const body: Health = {
          status: storeOk ? 'ok' : 'degraded',
          version: deps.version,
          uptime_s: Math.floor((deps.now() - deps.startedAt) / 1000),
        };
        return json(body, storeOk ? 200 : 503);
      },
    },
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
