import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHttpProxyEngine } from './http-proxy-engine.js';
import type { UpstreamTarget } from './target.js';
import { createUndiciWeb } from './undici-web.js';

/** One upstream HTTP request, exactly as it goes on the wire. */
export interface UpstreamCall {
  /** The complete upstream header set (proxy/headers.ts); the engine adds only framing. */
  headers: OutgoingHttpHeaders;
  target: UpstreamTarget;
  /** Inactivity limit on the upstream exchange: before the head a timeout, after it a cut. */
  timeoutMs: number;
}

/** What an engine tells the forwarder about one HTTP exchange. */
export interface WebExchange {
  /** The upstream answered (1xx excluded): the forwarder writes the client's head now. */
  onHead(status: number, headers: IncomingHttpHeaders): void;
  /** Bytes of the request body sent upstream, and of the response body passed to the client. */
  onBytes(direction: 'in' | 'out', bytes: number): void;
  /**
   * The exchange failed before the head (refused, reset, timed out, or a request the
   * upstream client library refuses to send); the forwarder answers the client. After the
   * head the engine cuts the client response itself and calls nothing.
   */
  /** `protocol`: the upstream broke HTTP (a 101 to a plain request, a close without an answer); `err.message` says how. */
  onError(err: Error, reason: 'timeout' | 'unsendable' | 'upstream' | 'protocol'): void;
}

/** Callbacks of one proxied WebSocket upgrade. */
export interface UpgradeHooks {
  /** The upstream request, at once. */
  onProxyReq(proxyReq: ClientRequest): void;
  /** Connection refused, reset, timed out…; called at most once per failure. */
  onError(err: Error): void;
}

/**
 * Moves bytes between a client and an integration (SPEC §8). `web` streams both bodies
 * with backpressure, aborts the upstream when the client leaves, and cuts the client
 * response when the upstream fails mid-body; `ws` hands the upgrade over and splices.
 * Two implementations of `web` are measured side by side (docs/proxy.md): undici's
 * dispatcher (the default) and http-proxy; upgrades always go through http-proxy.
 */
export interface ProxyEngine {
  web(req: IncomingMessage, res: ServerResponse, call: UpstreamCall, exchange: WebExchange): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer, headers: OutgoingHttpHeaders, target: UpstreamTarget, hooks: UpgradeHooks): void;
  /** Closes pooled upstream connections. */
  close(): void;
}

/** Which library carries proxied HTTP requests. */
export type ProxyEngineKind = 'undici' | 'http-proxy';

export function createProxyEngine(kind: ProxyEngineKind = 'undici'): ProxyEngine {
  const httpProxy = createHttpProxyEngine();
  if (kind === 'http-proxy') return httpProxy;
  const undici = createUndiciWeb();
  return {
    web: undici.web,
    ws: httpProxy.ws,
    close() {
      undici.close();
      httpProxy.close();
    },
  };
}
