import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { IntegrationRecord } from '../stores/types.js';
import { signatureHeader } from './signature.js';
import type { UpstreamTarget } from './target.js';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the non-standard ones still seen in the wild. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers the gateway sets itself: a client's copy is dropped, never merged. */
const GATEWAY_SET = new Set(['host', 'authorization', 'expect', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'x-integration-id']);

/** Cookies named `opendray…` belong to the gateway (docs/proxy.md) and never cross the proxy. */
const GATEWAY_COOKIE = /^\s*opendray/i;

/** Facts about one proxied request that end up in its upstream headers. */
export interface ForwardFacts {
  integrationId: string;
  /** The signing secret; no signature is sent when the integration has none. */
  signingSecret: string | undefined;
  clientIp: string;
  /** The socket peer, appended to `X-Forwarded-For` (a trusted proxy's address when there is one). @default clientIp */
  peerIp?: string;
  encrypted: boolean;
  requestId: string;
  method: string;
  upstreamHost: string;
  requestTarget: string;
  /** Unix seconds. */
  timestamp: number;
  /** A WebSocket upgrade keeps `Connection: Upgrade` and `Upgrade`. */
  websocket: boolean;
}

/**
 * The complete header set sent upstream (SPEC §8): the client's end-to-end headers minus
 * credentials, gateway cookies, hop-by-hop headers and anything the gateway itself vouches
 * for (`X-OpenDray-*`, `X-Integration-ID`, `X-Forwarded-Proto/-Host`), plus the gateway's own.
 * `Transfer-Encoding` on a request is kept: it says how the body the gateway re-streams is framed.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, facts: ForwardFacts): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (name === 'transfer-encoding' && !facts.websocket) {
      out[name] = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    if (HOP_BY_HOP.has(name) || listed.has(name) || GATEWAY_SET.has(name) || name.startsWith('x-opendray-')) continue;
    if (name === 'cookie') {
      const kept = withoutGatewayCookies(Array.isArray(value) ? value.join('; ') : value);
      if (kept) out.cookie = kept;
      continue;
    }
    out[name] = value;
  }
  const priorChain = incoming['x-forwarded-for'];
  const chain = Array.isArray(priorChain) ? priorChain.join(', ') : priorChain;
  out.host = facts.upstreamHost;
  const peer = facts.peerIp ?? facts.clientIp;
  out['x-forwarded-for'] = chain ? `${chain}, ${peer}` : peer;
  out['x-forwarded-proto'] = facts.encrypted ? 'https' : 'http';
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  out['x-opendray-forwarded-for'] = facts.clientIp;
  out['x-integration-id'] = facts.integrationId;
  out['x-opendray-api'] = 'v1';
  out['x-request-id'] = facts.requestId;
  if (facts.signingSecret) {
    out['x-opendray-timestamp'] = String(facts.timestamp);
    out['x-opendray-signature'] = signatureHeader(facts.signingSecret, {
      timestamp: facts.timestamp,
      method: facts.method,
      target: facts.requestTarget,
      integrationId: facts.integrationId,
    });
  }
  if (facts.websocket) {
    out.connection = 'Upgrade';
    if (incoming.upgrade) out.upgrade = incoming.upgrade;
  }
  return out;
}

/** Where the upstream's own URLs are re-rooted when they come back (Location, Set-Cookie). */
export interface ResponseRewrite {
  /** The integration's base_url. */
  baseUrl: string;
  /** `/api/v1/proxy/{prefix}` — what the base_url path is seen as through the gateway. */
  publicPrefix: string;
}

/**
 * The upstream response headers the client gets: hop-by-hop headers dropped (Node frames
 * the body itself), the gateway's `X-Request-Id` kept, `Set-Cookie` that would set a gateway
 * cookie dropped and the rest re-scoped to the proxy prefix, a `Location` into base_url
 * rewritten to the same place through the proxy.
 */
export function clientResponseHeaders(upstream: IncomingHttpHeaders, rewrite: ResponseRewrite): OutgoingHttpHeaders {
  const listed = connectionTokens(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name === 'x-request-id') continue;
    if (name === 'set-cookie') {
      const cookies = (Array.isArray(value) ? value : [value])
        .filter((c) => !GATEWAY_COOKIE.test(c))
        .map((c) => rescopeCookie(c, rewrite.publicPrefix));
      if (cookies.length) out[name] = cookies;
      continue;
    }
    if (name === 'location' && typeof value === 'string') {
      out[name] = rewriteLocation(value, rewrite);
      continue;
    }
    out[name] = value;
  }
  return out;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  if (!value) return new Set();
  const joined = Array.isArray(value) ? value.join(',') : value;
  return new Set(joined.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

function withoutGatewayCookies(header: string): string {
  return header
    .split(';')
    .filter((pair) => pair.trim() !== '' && !GATEWAY_COOKIE.test(pair))
    .map((pair) => pair.trim())
    .join('; ');
}

// Domain dropped (the browser talks to the gateway's host) and Path pinned under the
// proxy prefix, so one integration's cookies never reach another's or the gateway's routes.
function rescopeCookie(cookie: string, publicPrefix: string): string {
  return cookie.replace(/;\s*domain=[^;]*/gi, '').replace(/(;\s*path=)[^;]*/gi, `$1${publicPrefix}`);
}

/** A `Location` pointing into base_url (absolute, or an absolute path under its path) goes through the proxy. */
export function rewriteLocation(location: string, { baseUrl, publicPrefix }: ResponseRewrite): string {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    return location;
  }
  if (target.origin !== base.origin) return location;
  if (!location.startsWith('/') && !/^https?:/i.test(location)) return location;
  const path = target.pathname;
  if (basePath && path !== basePath && !path.startsWith(`${basePath}/`)) return location;
  return `${publicPrefix}${path.slice(basePath.length)}${target.search}${target.hash}`;
}

/**
 * The upstream headers of one proxied request (HTTP or WebSocket): the one place that
 * derives what is signed from the request, the integration and the target.
 */
export function headersFor(
  req: IncomingMessage,
  integration: IntegrationRecord,
  target: UpstreamTarget,
  call: { requestId: string; remoteAddr: string; nowMs: number; websocket: boolean },
): OutgoingHttpHeaders {
  return upstreamRequestHeaders(req.headers, {
    integrationId: integration.id,
    signingSecret: integration.signing_secret,
    clientIp: call.remoteAddr,
    peerIp: req.socket.remoteAddress ?? call.remoteAddr,
    encrypted: 'encrypted' in req.socket && Boolean(req.socket.encrypted),
    requestId: call.requestId,
    method: call.websocket ? 'GET' : (req.method ?? 'GET'),
    upstreamHost: target.host,
    requestTarget: target.requestTarget,
    timestamp: Math.floor(call.nowMs / 1000),
    websocket: call.websocket,
  });
}
