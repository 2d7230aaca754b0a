import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One request an upstream saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

/** A real local HTTP (+ WebSocket) server standing in for an integration. */
export interface Upstream {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  server: Server;
  /** Every non-`/health` request, in arrival order. */
  seen: SeenRequest[];
  /** Every `/health` probe, in arrival order. */
  probes: SeenRequest[];
  /** Requests (of any path) currently open. */
  open(): number;
  /** Largest number of `/health` requests open at once. */
  maxConcurrentProbes(): number;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface UpstreamOptions {
  /** Answers `/health` (path ends in `/health`); default `{"status":"healthy"}`. */
  health?: UpstreamHandler;
  /** Answers everything else; default echoes `{method, url, headers}` as JSON. */
  handler?: UpstreamHandler;
  /** Accepts WebSocket upgrades and echoes every message. */
  websocket?: (ws: WebSocket, req: IncomingMessage) => void;
}

export const echoHandler: UpstreamHandler = (req, res) => {
  const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
};

export const healthyHandler: UpstreamHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: 'healthy', version: '1.2.3' }));
};

/** Starts an upstream on 127.0.0.1, port 0. `options` may be changed while it runs. */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const probes: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let openRequests = 0;
  let openProbes = 0;
  let maxProbes = 0;
  const server = createServer((req, res) => {
    const isProbe = (req.url ?? '').split('?')[0]!.endsWith('/health');
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders };
    (isProbe ? probes : seen).push(entry);
    openRequests++;
    if (isProbe) maxProbes = Math.max(maxProbes, ++openProbes);
    res.once('close', () => {
      openRequests--;
      if (isProbe) openProbes--;
    });
    const handler = isProbe ? (options.health ?? healthyHandler) : (options.handler ?? echoHandler);
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (!options.websocket) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => options.websocket!(ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    probes,
    open: () => openRequests,
    maxConcurrentProbes: () => maxProbes,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A response read whole by `rawRequest`. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * An HTTP request with nothing normalised (no `..` resolution, any header allowed) and a
 * fresh connection; what `fetch` cannot send.
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * The verification an integration runs, exactly as `docs/signature.md` shows it: the tests
 * use this copy so the documented snippet is what is proven to work.
 */
export function verifyOpendraySignature(
  req: { method?: string; url?: string; headers: IncomingHttpHeaders },
  secret: string,
  toleranceSeconds = 300,
): boolean {
  const ts = req.headers['x-opendray-timestamp'];
  const sig = req.headers['x-opendray-signature'];
  const id = req.headers['x-integration-id'];
  if (typeof ts !== 'string' || !/^\d+$/.test(ts) || typeof sig !== 'string' || typeof id !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > toleranceSeconds) return false;
  const canonical = `v1:${ts}:${req.method}:${req.url}:${id}`;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(canonical).digest('hex')}`);
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
