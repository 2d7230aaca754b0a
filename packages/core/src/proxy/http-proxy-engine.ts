import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import httpProxy from 'http-proxy';
import type { ProxyEngine, UpgradeHooks, WebExchange } from './engine.js';
import { watchPlainExchange } from './response-check.js';
import type { UpstreamTarget } from './target.js';

interface WebHooks {
  onProxyReq(proxyReq: import('node:http').ClientRequest): void;
  onProxyRes(proxyRes: IncomingMessage): void;
  onError(err: Error): void;
}

/**
 * The http-proxy engine: keep-alive pools for web requests (a fresh connection per
 * WebSocket), responses handed to the caller (`selfHandleResponse`), per-request hooks
 * instead of global events. The exact upstream request line and headers are the caller's.
 */
export function createHttpProxyEngine(): ProxyEngine {
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, toProxy: true, xfwd: false });
  // http-proxy's deleteLength pass rewrites a chunked DELETE/OPTIONS to `Content-Length: 0`
  // and still streams the body after it: a request-smuggling hazard on a pooled connection.
  const passes = proxy as unknown as { webPasses: Array<{ name: string }> };
  passes.webPasses = passes.webPasses.filter((p) => p.name !== 'deleteLength');

  const hooksByRequest = new WeakMap<IncomingMessage, WebHooks | UpgradeHooks>();
  proxy.on('proxyReq', (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on('proxyReqWs', (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on('proxyRes', (proxyRes, req) => {
    const hooks = hooksByRequest.get(req);
    if (hooks && 'onProxyRes' in hooks) hooks.onProxyRes(proxyRes);
  });
  // Every call passes its own error callback; this listener only keeps EventEmitter3 quiet.
  proxy.on('error', () => undefined);

  const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 256 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 });

  const options = (target: UpstreamTarget, agent: HttpAgent | false): httpProxy.ServerOptions => ({
    target: { protocol: target.protocol, hostname: target.hostname, host: target.hostname, port: target.port },
    agent,
  });

  return {
    web(req, res, { headers, target, timeoutMs }, exchange: WebExchange) {
      let proxyReq: import('node:http').ClientRequest | undefined;
      let proxyRes: IncomingMessage | undefined;
      let timedOut = false;
      req.on('data', (chunk: Buffer) => exchange.onBytes('in', chunk.length));
      // The client went away (or the answer is complete): nothing upstream is needed any more.
      res.once('close', () => {
        if (!proxyRes?.complete) proxyReq?.destroy();
      });
      hooksByRequest.set(req, {
        onProxyReq(pr) {
          proxyReq = pr;
          pr.setTimeout(timeoutMs, () => {
            timedOut = true;
            pr.destroy();
          });
          // A 101 (or a silent close) to a plain request is a broken upstream: 502, never a hang.
          watchPlainExchange(pr, (why) => exchange.onError(new Error(why), 'protocol'));
        },
        onProxyRes(upstream) {
          proxyRes = upstream;
          upstream.on('data', (chunk: Buffer) => exchange.onBytes('out', chunk.length));
          upstream.on('error', () => undefined);
          // Reset or cut mid-body: the client must see a broken response, not a short one.
          upstream.once('close', () => {
            if (!upstream.complete) res.destroy();
          });
          exchange.onHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        },
        onError(err) {
          if (proxyRes) {
            if (!proxyRes.complete) res.destroy();
            return;
          }
          exchange.onError(err, timedOut ? 'timeout' : 'upstream');
        },
      });
      const agent = target.protocol === 'https:' ? httpsAgent : httpAgent;
      const hooks = hooksByRequest.get(req) as WebHooks;
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
