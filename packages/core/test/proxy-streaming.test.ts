import { EventEmitter, once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { ADMIN_TOKEN, closed, nextMessage, openWs, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { closedPort, startUpstream, verifyOpendraySignature, type Upstream, type UpstreamOptions } from './support/upstream.js';

let t: TestGateway | undefined;
const upstreams: Upstream[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const u of upstreams.splice(0)) await u.close();
});

async function setup(options: UpstreamOptions) {
  const up = await startUpstream(options);
  upstreams.push(up);
  t = await startGateway();
  const reg = await registerIntegration(t, { name: 'bot', base_url: `${up.url}/api`, route_prefix: 'bot' });
  return { up, t, integration: reg.integration, secret: reg.signing_secret! };
}

/** Opens a proxied request whose body the test writes chunk by chunk. */
function openUpload(t: TestGateway, path: string): { req: ReturnType<typeof httpRequest>; response: Promise<IncomingMessage> } {
  const url = new URL(t.url);
  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    path: `/api/v1${path}`,
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  return { req, response };
}

async function readAll(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += chunk;
  return body;
}

describe('reverse proxy: streaming', () => {
  it('streams an upload: the upstream gets each chunk before the client sends the next', async () => {
    const received = new EventEmitter();
    const { t } = await setup({
      handler: (req, res) => {
        let total = 0;
        req.on('data', (c: Buffer) => {
          total += c.length;
          received.emit('bytes', total);
        });
        req.on('end', () => res.end(JSON.stringify({ total })));
      },
    });
    const { req, response } = openUpload(t, '/proxy/bot/upload');
    const chunk = Buffer.alloc(64 * 1024, 120);
    // Lock-step: a gateway that buffered the body would never let the upstream see chunk i.
    for (let i = 1; i <= 8; i++) {
      const seen = waitForTotal(received, i * chunk.length);
      req.write(chunk);
      await seen;
    }
    req.end();
    const res = await response;
    expect(JSON.parse(await readAll(res))).toEqual({ total: 8 * chunk.length });
  });

  it('streams a download: the client gets each chunk before the upstream writes the next', async () => {
    const proceed = new EventEmitter();
    const { t } = await setup({
      handler: async (req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 5; i++) {
          res.write(Buffer.alloc(16 * 1024, 48 + i));
          if (i < 4) await once(proceed, 'next');
        }
        res.end();
      },
    });
    const res = await t.api('/proxy/bot/download');
    const reader = res.body!.getReader();
    let total = 0;
    for (let i = 0; i < 5; i++) {
      const target = (i + 1) * 16 * 1024;
      while (total < target) {
        const { value, done } = await reader.read();
        if (done) throw new Error('ended early');
        total += value.length;
      }
      proceed.emit('next');
    }
    expect((await reader.read()).done).toBe(true);
    expect(total).toBe(5 * 16 * 1024);
  });

  it('delivers server-sent events one by one', async () => {
    const proceed = new EventEmitter();
    const { t } = await setup({
      handler: async (req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('event: tick\ndata: one\n\n');
        await once(proceed, 'next');
        res.write('event: tick\ndata: two\n\n');
        await once(proceed, 'next');
        res.end();
      },
    });
    const res = await t.api('/proxy/bot/events', { headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (marker: string): Promise<void> => {
      while (!text.includes(marker)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${marker}`);
        text += value;
      }
    };
    await readUntil('data: one\n\n');
    expect(text).not.toContain('two');
    proceed.emit('next');
    await readUntil('data: two\n\n');
    proceed.emit('next');
    expect((await reader.read()).done).toBe(true);
  });

  it('streams 200 MB up and 200 MB down without the gateway holding them in memory', async () => {
    const size = 200 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 7);
    const { t } = await setup({
      handler: async (req, res) => {
        if (req.method === 'POST') {
          let total = 0;
          req.on('data', (c: Buffer) => (total += c.length));
          req.on('end', () => res.end(JSON.stringify({ total })));
          return;
        }
        req.resume();
        res.writeHead(200, { 'content-length': String(size) });
        for (let sent = 0; sent < size; sent += block.length) {
          if (!res.write(block)) await once(res, 'drain');
        }
        res.end();
      },
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const { req, response } = openUpload(t, '/proxy/bot/big');
      for (let sent = 0; sent < size; sent += block.length) {
        if (!req.write(block)) await once(req, 'drain');
      }
      req.end();
      expect(JSON.parse(await readAll(await response))).toEqual({ total: size });

      const down = await t.api('/proxy/bot/big');
      let received = 0;
      const reader = down.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) received += r.value.length;
      expect(received).toBe(size);
    } finally {
      clearInterval(sampler);
    }
    // Buffering either body would add ≥ 200 MB; streaming stays within a few buffers.
    expect(peak - before).toBeLessThan(120 * 1024 * 1024);
  }, 60_000);
});

describe('reverse proxy: WebSockets', () => {
  it('proxies an upgrade: echo both ways, signed headers, no credentials forwarded', async () => {
    const { up, t, secret } = await setup({
      websocket: (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
    });
    const ws = await openWs(`${t.wsUrl}/api/v1/proxy/bot/socket?token=${ADMIN_TOKEN}&room=1`);
    ws.send('hello');
    expect(await nextMessage(ws)).toBe('hello');
    ws.send(Buffer.from([1, 2, 3]));
    const binary = await nextMessage<Buffer>(ws, (_m, isBinary) => isBinary);
    expect([...binary]).toEqual([1, 2, 3]);

    const seen = up.seen[0]!;
    expect(seen.url).toBe('/api/socket?room=1');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.upgrade).toBe('websocket');
    expect(seen.headers['x-opendray-api']).toBe('v1');
    expect(verifyOpendraySignature(seen, secret)).toBe(true);

    ws.close(1000, 'bye');
    expect((await closed(ws)).code).toBe(1000);
  });

  it('closes the client when the upstream closes, and refuses with 404/503/502 like HTTP', async () => {
    let serverSide: WebSocket | undefined;
    const { t, integration } = await setup({ websocket: (ws) => (serverSide = ws) });
    const ws = await openWs(`${t.wsUrl}/api/v1/proxy/bot/socket`, { token: ADMIN_TOKEN });
    await waitFor(() => serverSide);
    serverSide!.close(4000, 'done');
    expect(await closed(ws)).toEqual({ code: 4000, reason: 'done' });

    await expect(openWs(`${t.wsUrl}/api/v1/proxy/nope/socket`, { token: ADMIN_TOKEN })).rejects.toMatchObject({ status: 404 });
    const port = await closedPort();
    await registerIntegration(t, { name: 'gone', base_url: `http://127.0.0.1:${port}`, route_prefix: 'gone' });
    await expect(openWs(`${t.wsUrl}/api/v1/proxy/gone/socket`, { token: ADMIN_TOKEN })).rejects.toMatchObject({ status: 502 });
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: false } });
    await expect(openWs(`${t.wsUrl}/api/v1/proxy/bot/socket`, { token: ADMIN_TOKEN })).rejects.toMatchObject({ status: 503 });

    const calls = await waitFor(async () => {
      const res = await t!.apiJson(`/integrations/_calls?direction=outbound&integration_id=${integration.id}`);
      return res.body.entries.length === 2 ? res.body.entries : null;
    });
    expect(calls.map((c: { status_code: number }) => c.status_code).sort()).toEqual([101, 503]);
  });
});

describe('reverse proxy: WebSocket timeout', () => {
  it('answers 504 when the upstream never answers the handshake', async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      t = await startGateway({ proxyTimeoutMs: 300 });
      const port = (silent.address() as AddressInfo).port;
      await registerIntegration(t, { name: 'mute', base_url: `http://127.0.0.1:${port}`, route_prefix: 'mute' });
      await expect(openWs(`${t.wsUrl}/api/v1/proxy/mute/socket`, { token: ADMIN_TOKEN })).rejects.toMatchObject({ status: 504 });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

function waitForTotal(emitter: EventEmitter, total: number): Promise<void> {
  return new Promise((resolve) => {
    const onBytes = (n: number): void => {
      if (n < total) return;
      emitter.off('bytes', onBytes);
      resolve();
    };
    emitter.on('bytes', onBytes);
  });
}
