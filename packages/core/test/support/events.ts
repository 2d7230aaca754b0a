import WebSocket from 'ws';
import type { IntegrationPrincipal } from '../../src/auth/principal.js';
import type { TestGateway } from './gateway.js';
import { waitFor } from './gateway.js';

/** A parsed `/integrations/_events` frame. */
export interface Frame {
  topic: string;
  ts: string;
  data: Record<string, any>;
  seq?: number;
}

/** An events socket that records every frame from the first byte on (the `_hello` included). */
export interface EventsClient {
  ws: WebSocket;
  frames: Frame[];
  /** Event frames only (no `_hello` / `_gap`). */
  events(): Frame[];
  /** Waits until a recorded frame satisfies `pred`; returns it. */
  until(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
}

/** `ws://…/api/v1/integrations/_events?<query>` */
export const eventsUrl = (t: TestGateway, query: string): string => `${t.wsUrl}/api/v1/integrations/_events?${query}`;

/**
 * Opens the events socket and records frames from before `open` fires, so the first
 * frame can never be missed. Rejects with `{status, body}` when refused before the upgrade.
 */
export function openEvents(t: TestGateway, query: string, token?: string): Promise<EventsClient> {
  const ws = new WebSocket(eventsUrl(t, query), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  const client: EventsClient = {
    ws,
    frames,
    events: () => frames.filter((f) => !f.topic.startsWith('_')),
    until: (pred, timeoutMs = 10_000) => waitFor(() => frames.find(pred), timeoutMs, 5),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body, headers: res.headers })));
    });
    ws.once('error', reject);
  });
}

/** An integration principal for the gateway's `auth.verify` hook (the embedder's extra verifier). */
export const integrationPrincipal = (id: string, scopes: string[]): IntegrationPrincipal => ({
  kind: 'integration',
  id,
  name: id,
  scopes: scopes as IntegrationPrincipal['scopes'],
  maxSessions: 10,
});

/** A `verify` hook answering the given tokens with their principals. */
export const verifyTokens =
  (byToken: Record<string, IntegrationPrincipal>) =>
  async (token: string): Promise<IntegrationPrincipal | null> =>
    Object.hasOwn(byToken, token) ? byToken[token]! : null;
