import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedLimits } from '../limits.js';
import type { Logger } from '../log.js';

/** How long a refused or timed-out socket may linger after its answer before it is destroyed. */
export const LINGER_MS = 1_000;

export interface GatewayServerDeps {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Returns false when nothing under the gateway's base path answers the upgrade. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  limits: ResolvedLimits;
  /** Whether a peer is a trusted proxy (exempt from the per-address connection cap). */
  isTrustedProxy(address: string): boolean;
  logger: Logger;
}

/**
 * The Node server `listen()` uses (docs/abuse-resistance.md): header and whole-request
 * deadlines (checked every second, so they hold to the second), a total connection cap,
 * a per-address connection cap, and sockets that are destroyed — not left half-open —
 * a moment after a refusal or a timeout is answered.
 */
export function createGatewayServer(deps: GatewayServerDeps): Server {
  const { limits } = deps;
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => deps.handler(req, res),
  );
  server.maxConnections = limits.maxConnections;
  server.on('upgrade', (req, socket, head) => {
    if (!deps.upgrade(req, socket, head)) socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) deps.logger.debug('request timed out before it was received', {});
    answerAndClose(socket, timedOut ? 408 : 400);
  });
  limitConnectionsPerAddress(server, limits.connectionsPerAddress, deps.isTrustedProxy);
  return server;
}

/**
 * Writes a bare error status (when nothing was written yet) and closes: `end()` sends
 * the answer and a FIN, and the socket is destroyed after {@link LINGER_MS} whatever the
 * peer does, so a client that never closes its side holds nothing.
 */
export function answerAndClose(socket: Duplex, status: number, extraHeaders: Record<string, string> = {}, lingerMs = LINGER_MS): void {
  if (socket.destroyed) return;
  const alreadyAnswered = 'bytesWritten' in socket && Number((socket as Socket).bytesWritten) > 0;
  if (socket.writable && !alreadyAnswered) {
    const code = status === 429 ? 'rate_limited' : status === 408 ? 'request_timeout' : 'invalid_request';
    const body = JSON.stringify({ error: STATUS_CODES[status]?.toLowerCase() ?? 'error', code });
    const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...extraHeaders };
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`);
  } else {
    socket.end();
  }
  if (lingerMs === 0) socket.once('finish', () => socket.destroy());
  else setTimeout(() => socket.destroy(), lingerMs).unref();
}

/**
 * At most `max` open connections per peer address: one more is answered 429 (before its
 * request is read) and closed, so no single client can use up the process's descriptors
 * (which PTYs need too). A trusted proxy carries many clients and is exempt.
 */
function limitConnectionsPerAddress(server: Server, max: number, exempt: (address: string) => boolean): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d{1,3}(\.\d{1,3}){3}$)/i, '');
    if (exempt(address)) return;
    const n = (open.get(address) ?? 0) + 1;
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    if (n <= max) return;
    // Nothing it sends is read: its request never reaches a handler. Its descriptor is
    // released as soon as the answer is handed to the kernel: refusals must not hold fds.
    socket.pause();
    answerAndClose(socket, 429, { 'Retry-After': '1' }, 0);
  });
}
