import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { rawRequest, startUpstream, verifyOpendraySignature, type Upstream, type UpstreamOptions } from './support/upstream.js';

// proxy.test.ts and proxy-streaming.test.ts cover the default engine (undici) in full; the
// http-proxy engine stays as a fallback (`proxyEngine: 'http-proxy'`), so both engines run
// the behaviours where they differ in code: framing, timeouts, failures mid-body, aborts.

let t: TestGateway | undefined;
const upstreams: Upstream[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const u of upstreams.splice(0)) await u.close();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe.each(['undici', 'http-proxy'] as const)('reverse proxy on the %s engine', (proxyEngine) => {
  async function setup(options: UpstreamOptions = {}, gatewayOptions: { proxyTimeoutMs?: number } = {}) {
    const up = await startUpstream(options);
    upstreams.push(up);
    t = await startGateway({ proxyEngine, ...gatewayOptions });
    const reg = await registerIntegration(t, { name: 'bot', base_url: `${up.url}/api`, route_prefix: 'bot' });
    return { up, t, secret: reg.signing_secret! };
  }

  it('forwards path, query, signed headers and a chunked body, and passes the answer back', async () => {
    const { up, t, secret } = await setup({
      handler: (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => {
          res.writeHead(207, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-multi': 'one' });
          res.end(JSON.stringify({ body, framed: req.headers['transfer-encoding'] === 'chunked' || req.headers['content-length'] === String(body.length) }));
        });
      },
    });
    const res = await rawRequest(t.url, '/api/v1/proxy/bot/hooks/1?x=1&token=t', {
      method: 'POST',
      headers: { ...admin, 'transfer-encoding': 'chunked', 'content-type': 'text/plain' },
      body: 'hello chunked',
    });
    expect(res.status).toBe(207);
    // Framed either way (undici may re-frame a body it already holds with Content-Length).
    expect(JSON.parse(res.body.toString())).toEqual({ body: 'hello chunked', framed: true });
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const seen = up.seen[0]!;
    expect(seen.url).toBe('/api/hooks/1?x=1');
    expect(verifyOpendraySignature(seen, secret)).toBe(true);
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('answers 504 for an upstream that stays silent, but not for a slow upload that keeps moving', async () => {
    const { t } = await setup(
      {
        handler: (req, res) => {
          if (req.url?.endsWith('/silent')) return req.resume();
          let n = 0;
          req.on('data', (c: Buffer) => (n += c.length));
          req.on('end', () => res.end(String(n)));
        },
      },
      { proxyTimeoutMs: 400 },
    );
    const silent = await t.apiJson('/proxy/bot/silent');
    expect(silent.status).toBe(504);
    expect(silent.body.code).toBe('upstream_timeout');
    // 12 chunks 100 ms apart: 1.2 s in all, three times the timeout, never 400 ms idle.
    const { port } = new URL(t.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/proxy/bot/upload', method: 'POST', headers: { ...admin, 'content-type': 'text/plain' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      let i = 0;
      const tick = setInterval(() => {
        req.write('x'.repeat(1000));
        if (++i === 12) {
          clearInterval(tick);
          req.end();
        }
      }, 100);
    });
    expect(answer).toEqual({ status: 200, body: '12000' });
  });

  it('cuts the client response when the upstream fails mid-body, and cancels the upstream when the client leaves', async () => {
    const { up, t } = await setup({
      handler: (req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        if (req.url?.endsWith('/reset')) return void res.write(Buffer.alloc(1000, 97), () => setTimeout(() => req.socket.destroy(), 20));
        const timer = setInterval(() => res.write(Buffer.alloc(1000, 98)), 10);
        res.once('close', () => clearInterval(timer));
      },
    });
    const cut = await t.api('/proxy/bot/reset');
    expect(cut.status).toBe(200);
    await expect(cut.arrayBuffer()).rejects.toThrow();

    const controller = new AbortController();
    const endless = await t.api('/proxy/bot/endless', { signal: controller.signal });
    expect(endless.status).toBe(200);
    await waitFor(() => up.open() === 1);
    controller.abort();
    await waitFor(() => up.open() === 0);
    expect((await t.apiJson('/health')).status).toBe(200);
  });
});
