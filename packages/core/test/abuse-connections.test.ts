import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger, ResponseInfo } from '../src/index.js';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from './support/gateway.js';

// Connections are reclaimed (issue #15): a half-sent request, a stalled header, an aborted
// body or a crowd of idle sockets from one address holds nothing for long.

let t: TestGateway | undefined;
const opened: Socket[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await t?.close();
  t = undefined;
});

/**
 * A raw TCP client that never closes its side by itself (`allowHalfOpen`), so only the
 * server can end the connection: what the server's connection count shows is the truth.
 */
function rawClient(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    opened.push(socket);
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', () => undefined);
    // The server's FIN, or a reset (then there is no 'end', only 'close').
    const ended = new Promise<void>((r) => {
      socket.once('end', () => r());
      socket.once('close', () => r());
    });
    socket.once('connect', () => resolve({ socket, received: () => data, ended }));
    socket.once('error', reject);
  });
}

const serverConnections = (g: TestGateway): Promise<number> =>
  new Promise((resolve, reject) => g.gateway.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

const portOf = (g: TestGateway): number => Number(new URL(g.url).port);

const head = (method: string, path: string, extra: string[] = []): string =>
  [`${method} /api/v1${path} HTTP/1.1`, 'Host: gateway', `Authorization: Bearer ${ADMIN_TOKEN}`, ...extra, '', ''].join('\r\n');

describe('half-sent and stalled requests', () => {
  it('a declared JSON body that never arrives is answered 408 and the connection is destroyed', async () => {
    t = await startGateway({ limits: { bodyTimeoutMs: 500 } });
    const c = await rawClient(portOf(t));
    c.socket.write(head('POST', '/sessions', ['Content-Type: application/json', 'Content-Length: 1000']));
    await c.ended;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toContain('"code":"request_timeout"');
    await waitFor(async () => (await serverConnections(t!)) === 0, 5_000);
  });

  it('so is a channel webhook whose body never arrives (a public route)', async () => {
    t = await startGateway({ limits: { bodyTimeoutMs: 500 } });
    const channel = await t.apiJson('/channels', { method: 'POST', body: { kind: 'webhook', name: 'slow' } });
    const c = await rawClient(portOf(t));
    c.socket.write(
      [`POST /api/v1/channels/${channel.body.id}/webhook HTTP/1.1`, 'Host: gateway', 'Content-Type: application/json', 'Content-Length: 100', '', ''].join('\r\n'),
    );
    await c.ended;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    await waitFor(async () => (await serverConnections(t!)) === 0, 5_000);
  });

  it('a route that reads no body closes the connection instead of waiting for a declared one', async () => {
    t = await startGateway();
    const c = await rawClient(portOf(t));
    c.socket.write(head('GET', '/health', ['Content-Length: 1000']));
    await c.ended;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.received().toLowerCase()).toContain('connection: close');
    await waitFor(async () => (await serverConnections(t!)) === 0, 5_000);
  });

  it('headers that never complete get 408, then the socket is destroyed, not left half-open', async () => {
    t = await startGateway({ limits: { headersTimeoutMs: 1_000 } });
    const c = await rawClient(portOf(t));
    c.socket.write('GET /api/v1/health HTTP/1.1\r\nHost: gateway\r\n');
    await c.ended;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Our side is still open: only a destroy on the server's side brings its count to 0.
    expect(c.socket.writable).toBe(true);
    await waitFor(async () => (await serverConnections(t!)) === 0, 5_000);
  });

  it('500 half-sent requests from one address: past the per-address cap 429 at once, the rest dropped after the timeout', async () => {
    t = await startGateway({ limits: { bodyTimeoutMs: 1_000, connectionsPerAddress: 50 } });
    const clients = await Promise.all(Array.from({ length: 500 }, () => rawClient(portOf(t!))));
    for (const c of clients) c.socket.write(head('POST', '/sessions', ['Content-Type: application/json', 'Content-Length: 1000']));
    await Promise.all(clients.map((c) => c.ended));
    const firstLines = clients.map((c) => c.received().split('\r\n')[0]);
    // A refused connection gets its 429 (or, if its request raced the close, just the close).
    expect(firstLines.filter((l) => l === 'HTTP/1.1 429 Too Many Requests' || l === '')).toHaveLength(450);
    expect(firstLines.filter((l) => l === 'HTTP/1.1 429 Too Many Requests').length).toBeGreaterThan(0);
    expect(firstLines.filter((l) => l === 'HTTP/1.1 408 Request Timeout')).toHaveLength(50);
    await waitFor(async () => (await serverConnections(t!)) === 0, 5_000);
    // Reclaimed: the address may connect again.
    expect((await t.api('/health', { token: null })).status).toBe(200);
  }, 30_000);
});

describe('connections per address', () => {
  it('idle sockets past the cap are refused with 429; a slot freed is usable again', async () => {
    t = await startGateway({ limits: { connectionsPerAddress: 5 } });
    const idle = await Promise.all(Array.from({ length: 5 }, () => rawClient(portOf(t!))));
    await waitFor(async () => (await serverConnections(t!)) === 5);
    const extra = await rawClient(portOf(t));
    await extra.ended;
    expect(extra.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(extra.received()).toContain('Retry-After: 1');
    extra.socket.destroy();
    idle[0]!.socket.destroy();
    await waitFor(async () => (await serverConnections(t!)) === 4);
    const next = await rawClient(portOf(t));
    next.socket.write(head('GET', '/health', ['Connection: close']));
    await next.ended;
    expect(next.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('aborted request bodies', () => {
  it('are a client abort: no 500, no error-level log line, 499 in the response record', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const capture = (level: string) => (msg: string) => void lines.push({ level, msg });
    const logger: Logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
    const seen: ResponseInfo[] = [];
    t = await startGateway({ logger, hooks: { onResponse: [(info) => void seen.push(info)] } });
    const atStart = lines.length; // start-up notes (e.g. the sandbox mode) are not about requests
    for (let i = 0; i < 20; i++) {
      const c = await rawClient(portOf(t));
      c.socket.write(head('POST', '/sessions', ['Content-Type: application/json', 'Content-Length: 1000']) + '{"provider_id":');
      await new Promise((r) => setTimeout(r, 20));
      c.socket.destroy();
    }
    await waitFor(() => seen.length === 20);
    expect(seen.map((s) => s.status)).toEqual(Array(20).fill(499));
    expect(lines.slice(atStart).filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    expect(lines.some((l) => l.level === 'debug' && /client closed/.test(l.msg))).toBe(true);
  });
});
