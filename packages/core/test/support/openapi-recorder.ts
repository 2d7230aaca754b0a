import { randomBytes } from 'node:crypto';
import type { ResponseInfo } from '../../src/index.js';
import type { Exchange } from './openapi-checker.js';
import { waitFor, type ApiInit, type TestGateway } from './gateway.js';
import { rawRequest } from './upstream.js';

/** A response read whole, plus its JSON when it has one. */
export interface Recorded {
  status: number;
  headers: Headers;
  body: Buffer;
  json(): any;
}

/**
 * Records every exchange a test makes with the gateway, with the route template the
 * gateway itself matched (from its `onResponse` hook, by request id), so a walk over real
 * routes needs no knowledge of which template a URL hits.
 */
export function createRecorder() {
  const matched = new Map<string, ResponseInfo>();
  const exchanges: Exchange[] = [];
  let gateway: TestGateway | null = null;

  return {
    exchanges,
    /** Pass to `startGateway({ hooks: { onResponse: [recorder.hook] } })`. */
    hook: (info: ResponseInfo): void => void matched.set(info.requestId, info),
    use(t: TestGateway): void {
      gateway = t;
    },

    /** `t.api`, recorded. */
    async call(path: string, init: ApiInit = {}): Promise<Recorded> {
      const res = await gateway!.api(path, init);
      const body = Buffer.from(await res.arrayBuffer());
      const requestId = res.headers.get('x-request-id') ?? '';
      const info = await waitFor(() => matched.get(requestId), 5_000);
      const sent = init.body;
      const requestBody = typeof sent === 'object' && sent !== null && !Buffer.isBuffer(sent) ? sent : undefined;
      exchanges.push({ method: info.method, template: info.route, status: res.status, headers: res.headers, body, requestBody });
      return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
    },

    /** A WebSocket upgrade request that is expected to be refused (a plain HTTP answer), recorded. */
    async refusedUpgrade(template: string, path: string, token: string | null): Promise<Recorded> {
      const res = await rawRequest(gateway!.url, `/api/v1${path}`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      exchanges.push({ method: 'GET', template, status: res.status, headers, body: res.body });
      return { status: res.status, headers, body: res.body, json: () => JSON.parse(res.body.toString('utf8')) };
    },

    /** Records a WebSocket that opened (101). */
    opened(template: string): void {
      exchanges.push({ method: 'GET', template, status: 101, headers: new Headers({ 'x-request-id': 'upgrade' }), body: Buffer.alloc(0) });
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;
