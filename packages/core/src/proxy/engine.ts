import { Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { UpstreamTarget } from './target.js';

/** Callbacks of one proxied exchange, called by the engine for that request only. */
export interface ExchangeHooks {
  /** The upstream request, once it has a socket (web) or at once (WebSocket). */
  onProxyReq(proxyReq: ClientRequest): void;
  /** The upstream response head (web only; the hook writes the client response). */
  onProxyRes?(proxyRes: IncomingMessage): void;
  /** Connection refused, reset, timed out…; called at most once per failure. */
  onError(err: Error): void;
}

/** The one http-proxy server and the upstream connection pools of a gateway. */
export interface ProxyEngine {
  web(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders, target: UpstreamTarget, hooks: ExchangeHooks): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer, headers: OutgoingHttpHeaders, target: UpstreamTarget, hooks: ExchangeHooks): void;
  /** Closes pooled upstream connections. */
  close(): void;
}

/**
 * Wraps http-proxy: keep-alive pools for web requests (a fresh connection per WebSocket),
 * responses handed to the caller (`selfHandleResponse`), per-request hooks instead of
 * global events. The exact upstream request line and headers are the caller's.
 */
export function createProxyEngine(): ProxyEngine {
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, toProxy: true, xfwd: false });
  // http-proxy's deleteLength pass rewrites a chunked DELETE/OPTIONS to `Content-Length: 0`
  // and still streams the body after it: a request-smuggling hazard on a pooled connection.
  const passes = proxy as unknown as { webPasses: Array<{ name: string }> };
  passes.webPasses = passes.webPasses.filter((p) => p.name !== 'deleteLength');

  const hooksByRequest = new WeakMap<IncomingMessage, ExchangeHooks>();
  proxy.on('proxyReq', (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on('proxyReqWs', (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on('proxyRes', (proxyRes, req) => hooksByRequest.get(req)?.onProxyRes?.(proxyRes));
  // Every call passes its own error callback; this listener only keeps EventEmitter3 quiet.
  proxy.on('error', () => undefined);

  const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 256 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 });

  const options = (target: UpstreamTarget, agent: HttpAgent | false): httpProxy.ServerOptions => ({
    target: { protocol: target.protocol, hostname: target.hostname, host: target.hostname, port: target.port },
    agent,
  });

  return {
    web(req, res, headers, target, hooks) {
      hooksByRequest.set(req, hooks);
      const agent = target.protocol === 'https:' ? httpsAgent : httpAgent;
      withView(req, headers, target.requestTarget, () => proxy.web(req, res, options(target, agent), (err) => hooks.onError(err)));
    },
    ws(req, socket, head, headers, target, hooks) {
      hooksByRequest.set(req, hooks);
      withView(req, headers, target.requestTarget, () => proxy.ws(req, socket, head, options(target, false), (err) => hooks.onError(err)));
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/**
 * http-proxy copies `req.headers` and `req.url` synchronously when it builds the upstream
 * request, and offers no other way to drop a header before it is sent. So the request
 * shows the exact upstream headers and target for that synchronous call only.
 */
function withView(req: IncomingMessage, headers: OutgoingHttpHeaders, url: string, run: () => void): void {
  const saved = { headers: req.headers, url: req.url };
  req.headers = headers as IncomingHttpHeaders;
  req.url = url;
  try {
    run();
  } finally {
    req.headers = saved.headers;
    req.url = saved.url;
  }
}
