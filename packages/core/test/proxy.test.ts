import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { closedPort, rawRequest, startUpstream, verifyOpendraySignature, type Upstream } from './support/upstream.js';

let t: TestGateway | undefined;
const upstreams: Upstream[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const u of upstreams.splice(0)) await u.close();
});

async function upstream(options: Parameters<typeof startUpstream>[0] = {}): Promise<Upstream> {
  const u = await startUpstream(options);
  upstreams.push(u);
  return u;
}

/** A gateway and one integration `bot` whose base_url is `<upstream>/api`. */
async function setup(options: Parameters<typeof startUpstream>[0] = {}, gatewayOptions = {}) {
  const up = await upstream(options);
  t = await startGateway(gatewayOptions);
  const reg = await registerIntegration(t, { name: 'bot', base_url: `${up.url}/api`, route_prefix: 'bot' });
  return { up, t, integration: reg.integration, secret: reg.signing_secret! };
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('reverse proxy: mapping and headers', () => {
  it('keeps the path inside base_url and forwards the query minus token', async () => {
    const { up, t } = await setup();
    const res = await t.apiJson('/proxy/bot/a/b%20c?x=1&token=secret&y=a%26b&token=again');
    expect(res.status).toBe(200);
    expect(res.body.url).toBe('/api/a/b%20c?x=1&y=a%26b');
    expect((await t.apiJson('/proxy/bot')).body.url).toBe('/api');
    expect((await t.apiJson('/proxy/bot/')).body.url).toBe('/api/');
    expect(up.seen.map((s) => s.url)).toEqual(['/api/a/b%20c?x=1&y=a%26b', '/api', '/api/']);
  });

  it('sends exactly the documented header set with a signature the integration can verify', async () => {
    const { up, t, integration, secret } = await setup();
    const port = new URL(t.url).port;
    const res = await rawRequest(t.url, '/api/v1/proxy/bot/hooks?z=1', {
      headers: {
        ...admin,
        accept: 'application/json',
        'x-custom': 'yes',
        cookie: 'opendray_session=abc; theme=dark; OpenDray_token=x',
        connection: 'keep-alive, x-hop',
        'x-hop': 'dropped',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-forwarded-for': '10.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        'x-integration-id': 'int_forged',
        'x-opendray-signature': 'v1=forged',
        'x-opendray-api': 'v0',
        'x-request-id': 'trace-42',
      },
    });
    expect(res.status).toBe(200);
    const seen = up.seen[0]!;
    expect(Object.keys(seen.headers).sort()).toEqual(
      [
        'accept',
        'connection',
        'cookie',
        'host',
        'x-custom',
        'x-forwarded-for',
        'x-forwarded-host',
        'x-forwarded-proto',
        'x-integration-id',
        'x-opendray-api',
        'x-opendray-forwarded-for',
        'x-opendray-signature',
        'x-opendray-timestamp',
        'x-request-id',
      ].sort(),
    );
    expect(seen.headers).toMatchObject({
      accept: 'application/json',
      'x-custom': 'yes',
      cookie: 'theme=dark',
      connection: 'keep-alive',
      host: new URL(up.url).host,
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-host': `127.0.0.1:${port}`,
      'x-forwarded-proto': 'http',
      'x-integration-id': integration.id,
      'x-opendray-api': 'v1',
      'x-opendray-forwarded-for': '127.0.0.1',
      'x-request-id': 'trace-42',
    });
    expect(seen.headers['x-opendray-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyOpendraySignature(seen, secret)).toBe(true);
    // Tampering with any signed part, or the wrong secret, fails verification.
    expect(verifyOpendraySignature({ ...seen, url: '/api/hooks?z=2' }, secret)).toBe(false);
    expect(verifyOpendraySignature({ ...seen, method: 'POST' }, secret)).toBe(false);
    expect(verifyOpendraySignature({ ...seen, headers: { ...seen.headers, 'x-integration-id': 'int_other' } }, secret)).toBe(false);
    expect(verifyOpendraySignature(seen, `${secret}x`)).toBe(false);
  });

  it('signs the request-target as sent, including odd paths, and the new secret after rotation', async () => {
    const { up, t, integration } = await setup();
    const rotated = await t.apiJson(`/integrations/${integration.id}/rotate-key`, { method: 'POST', body: {} });
    const secret = rotated.body.signing_secret as string;
    await rawRequest(t.url, '/api/v1/proxy/bot/x//y/http://z?a=1&token=t', { method: 'POST', headers: { ...admin, 'content-type': 'text/plain' }, body: 'hi' });
    const seen = up.seen[0]!;
    expect(seen.url).toBe('/api/x/y/http://z?a=1');
    expect(seen.method).toBe('POST');
    expect(verifyOpendraySignature(seen, secret)).toBe(true);
  });

  it('filters the upstream response: hop-by-hop, gateway cookies, Location and request id', async () => {
    const { t } = await setup({
      handler: (req, res) => {
        req.resume();
        res.writeHead(302, {
          location: `http://${req.headers.host}/api/next?q=1`,
          'set-cookie': ['opendray_token=evil; Path=/', 'sid=1; Path=/; Domain=example.com; HttpOnly'],
          connection: 'x-up',
          'x-up': 'hop',
          'keep-alive': 'timeout=5',
          'x-request-id': 'from-upstream',
          'x-kept': 'yes',
        });
        res.end('moved');
      },
    });
    const res = await rawRequest(t.url, '/api/v1/proxy/bot/start', { headers: { ...admin, 'x-request-id': 'mine-1' } });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/api/v1/proxy/bot/next?q=1');
    expect(res.headers['set-cookie']).toEqual(['sid=1; Path=/api/v1/proxy/bot; HttpOnly']);
    expect(res.headers['x-up']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
    expect(res.headers['x-request-id']).toBe('mine-1');
    expect(res.body.toString()).toBe('moved');
  });

  it('passes every method and body through without reading it as JSON', async () => {
    const { up, t } = await setup({
      handler: (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json', 'x-method': req.method ?? '' });
          res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString() }));
        });
      },
    });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await t.apiJson('/proxy/bot/things', { method, body: `<xml>${method}</xml>`, headers: { 'content-type': 'application/xml' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ method, body: `<xml>${method}</xml>` });
    }
    const head = await t.api('/proxy/bot/things', { method: 'HEAD' });
    expect(head.status).toBe(201);
    expect(head.headers.get('x-method')).toBe('HEAD');
    expect(up.seen.map((s) => s.method)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
  });

  it('answers Expect: 100-continue itself and streams the body upstream without it', async () => {
    const { up, t } = await setup({
      handler: (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => res.end(JSON.stringify({ body, expect: req.headers.expect ?? null })));
      },
    });
    const { port } = new URL(t.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/api/v1/proxy/bot/upload',
        method: 'POST',
        agent: false,
        headers: { ...admin, expect: '100-continue', 'content-type': 'text/plain', 'content-length': '5' },
      });
      req.on('continue', () => req.end('hello'));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    expect(JSON.parse(answer)).toEqual({ body: 'hello', expect: null });
    expect(up.seen[0]!.headers.expect).toBeUndefined();
  });

  it('keeps a chunked DELETE body framed, so nothing is smuggled onto a pooled connection', async () => {
    const { up, t } = await setup({
      handler: (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body })));
      },
    });
    const smuggled = 'GET /api/admin HTTP/1.1\r\nHost: x\r\n\r\n';
    const res = await rawRequest(t.url, '/api/v1/proxy/bot/item', { method: 'DELETE', headers: { ...admin, 'transfer-encoding': 'chunked' }, body: smuggled });
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'DELETE', url: '/api/item', body: smuggled });
    const next = await t.apiJson('/proxy/bot/after');
    expect(next.body.url).toBe('/api/after');
    expect(up.seen.map((s) => s.url)).toEqual(['/api/item', '/api/after']);
  });
});

describe('reverse proxy: refusals and failures', () => {
  it('answers 404 for an unknown prefix and for a consumer-only integration', async () => {
    t = await startGateway();
    await registerIntegration(t, { name: 'consumer' });
    for (const path of ['/proxy/nope/x', '/proxy/consumer', '/proxy/_calls/x']) {
      const res = await t.apiJson(path);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('is admin only', async () => {
    const { up, t } = await setup();
    const reg = await registerIntegration(t, { name: 'caller', scopes: ['session:read'] });
    expect((await t.apiJson('/proxy/bot/x', { token: reg.api_key })).status).toBe(403);
    expect((await t.apiJson('/proxy/bot/x', { token: null })).status).toBe(401);
    expect(up.seen).toHaveLength(0);
  });

  it('answers 503 for a disabled integration without contacting it', async () => {
    const { up, t, integration } = await setup();
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: false } });
    const res = await t.apiJson('/proxy/bot/x', { method: 'POST', body: { a: 1 } });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('unavailable');
    expect(up.seen).toHaveLength(0);
  });

  it('answers 502 when the upstream refuses or resets the connection', async () => {
    const port = await closedPort();
    t = await startGateway();
    await registerIntegration(t, { name: 'gone', base_url: `http://127.0.0.1:${port}`, route_prefix: 'gone' });
    const refused = await t.apiJson('/proxy/gone/x');
    expect(refused.status).toBe(502);
    expect(refused.body.code).toBe('upstream_error');

    const up = await upstream({ handler: (req) => req.socket.destroy() });
    await registerIntegration(t, { name: 'reset', base_url: up.url, route_prefix: 'reset' });
    const reset = await t.apiJson('/proxy/reset/x');
    expect(reset.status).toBe(502);
    expect(reset.body.code).toBe('upstream_error');
  });

  it('breaks the client response when the upstream resets mid-body', async () => {
    const { t } = await setup({
      handler: (req, res) => {
        res.writeHead(200, { 'content-length': '1000000' });
        res.write(Buffer.alloc(1000, 97), () => setTimeout(() => req.socket.destroy(), 20));
      },
    });
    const res = await t.api('/proxy/bot/big');
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect((await t.apiJson('/health')).status).toBe(200);
  });

  it('answers 504 when the upstream does not answer within proxyTimeoutMs, and stays responsive', async () => {
    const { up, t } = await setup({ handler: () => undefined }, { proxyTimeoutMs: 300 });
    const pending = t.apiJson('/proxy/bot/slow');
    await waitFor(() => up.seen.length === 1);
    expect((await t.apiJson('/health')).status).toBe(200);
    const res = await pending;
    expect(res.status).toBe(504);
    expect(res.body.code).toBe('upstream_timeout');
    await waitFor(() => up.open() === 0);
  });

  it('refuses path traversal with 400 and never reaches the upstream or the gateway routes', async () => {
    const { up, t } = await setup();
    const attempts = [
      '/api/v1/proxy/bot/../../integrations',
      '/api/v1/proxy/bot/a/../../../integrations',
      '/api/v1/proxy/bot/%2e%2e/%2E%2E/integrations',
      '/api/v1/proxy/bot/.%2e/x',
      '/api/v1/proxy/bot/./x',
      '/api/v1/proxy/bot/..%2F..%2Fintegrations',
      '/api/v1/proxy/bot/a%2Fb',
      '/api/v1/proxy/bot/a%5C..%5Cb',
      '/api/v1/proxy/bot/a%0d%0aX-Injected:%201',
      '/api/v1/proxy/bot/a%00b',
      '/api/v1/proxy/bot/%E0%A4%A',
    ];
    for (const path of attempts) {
      const res = await rawRequest(t.url, path, { headers: admin });
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body.toString()).code, path).toBe('validation_failed');
    }
    const viaPrefix = await rawRequest(t.url, '/api/v1/proxy/../integrations', { headers: admin });
    expect(viaPrefix.status).toBe(404);
    expect(up.seen).toHaveLength(0);
  });

  it('refuses a CR/LF header-injection attempt, forwards nothing, and stays up', async () => {
    const { up, t } = await setup();
    const { port } = new URL(t.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `GET /api/v1/proxy/bot/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
            'X-Evil: a\rX-Injected: 1\r\nX-Other: b\nX-Injected2: 1\r\n\r\n',
        );
      });
      let data = '';
      socket.on('data', (c: Buffer) => (data += c));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(up.seen).toHaveLength(0);
    expect((await t.apiJson('/proxy/bot/ok')).body.headers['x-injected']).toBeUndefined();
    expect(up.seen).toHaveLength(1);
  });
});

describe('reverse proxy: call log', () => {
  it('records every proxied call as outbound with route, path without query, status and bytes', async () => {
    const { t, integration } = await setup({
      handler: (req, res) => {
        req.resume();
        req.on('end', () => res.end('twelve bytes'));
      },
    });
    await t.api('/proxy/bot/one?token=secret&x=1', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    await t.apiJson(`/integrations/${integration.id}`, { method: 'PATCH', body: { enabled: false } });
    await t.api('/proxy/bot/two');
    const calls = await waitFor(async () => {
      const res = await t!.apiJson(`/integrations/_calls?direction=outbound&integration_id=${integration.id}`);
      return res.body.entries.length === 2 ? res.body.entries : null;
    });
    const [two, one] = calls;
    expect(one).toMatchObject({
      direction: 'outbound',
      integration_id: integration.id,
      method: 'POST',
      route: '/proxy/{prefix}/*',
      path: '/api/v1/proxy/bot/one',
      status_code: 200,
      bytes_in: 5,
      bytes_out: 12,
      remote_addr: '127.0.0.1',
    });
    expect(one.request_id).toMatch(/\S/);
    expect(two).toMatchObject({ path: '/api/v1/proxy/bot/two', status_code: 503, method: 'GET' });
    expect(JSON.stringify(calls)).not.toContain('secret');
  });
});
