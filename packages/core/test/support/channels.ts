import type { AuthOptions, BusEvent, EventBus, IntegrationPrincipal } from '../../src/index.js';
import type { TestGateway } from './gateway.js';

/**
 * An `auth.verify` hook (the embedder's extra-verifier injection point) turning each given
 * bearer token into an integration principal with the given scopes.
 */
export function integrationKeys(keys: Record<string, readonly string[]>): NonNullable<AuthOptions['verify']> {
  return async (token) => {
    const scopes = Object.hasOwn(keys, token) ? keys[token] : undefined;
    if (!scopes) return null;
    const principal: IntegrationPrincipal = { kind: 'integration', id: `int_${token.slice(0, 12)}`, name: token, scopes: scopes as IntegrationPrincipal['scopes'], maxSessions: 1 };
    return principal;
  };
}

/** Collects every bus event matching `patterns` until `stop()`. */
export function collectEvents(bus: EventBus, patterns: string | string[]): { events: BusEvent[]; stop: () => void } {
  const events: BusEvent[] = [];
  const stop = bus.subscribe(patterns, (e) => events.push(e));
  return { events, stop };
}

/** Creates a channel as admin; throws unless 201. */
export async function createChannel(t: TestGateway, body: Record<string, unknown>): Promise<any> {
  const res = await t.apiJson('/channels', { method: 'POST', body });
  if (res.status !== 201) throw new Error(`create channel failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** POSTs `body` to a channel's inbound webhook, with no gateway credential. */
export function postWebhook(t: TestGateway, id: string, body: string | Buffer, headers: Record<string, string>): Promise<Response> {
  return t.api(`/channels/${id}/webhook`, { method: 'POST', token: null, body, headers: { 'content-type': 'application/json', ...headers } });
}

/** Creates a `webhook` channel delivering to a stand-in at `targetUrl`. */
export function createWebhookChannel(t: TestGateway, targetUrl: string, name: string, extra: Record<string, unknown> = {}): Promise<any> {
  return createChannel(t, { kind: 'webhook', name, config: { url: `${targetUrl}/services/T0/B0/x`, ...extra } });
}
