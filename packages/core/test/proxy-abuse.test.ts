import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, type TestGateway } from './support/gateway.js';
import { rawRequest, startUpstream, type Upstream } from './support/upstream.js';

// Proxy hardening (issue #15): traversal spellings that Tomcat/Spring, double-decoding or
// Unicode-normalising upstreams would resolve outside base_url are refused before anything
// is sent, and an upstream answering 101 to a plain request gets the client a 502.

let t: TestGateway | undefined;
let up: Upstream | undefined;
afterEach(async () => {
  await t?.close();
  await up?.close();
  t = up = undefined;
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function setup(options: Parameters<typeof startUpstream>[0] = {}): Promise<TestGateway> {
  up = await startUpstream(options);
  t = await startGateway();
  await registerIntegration(t, { name: 'bot', base_url: `${up.url}/api`, route_prefix: 'bot' });
  return t;
}

describe('proxy path variants', () => {
  it('refuses every traversal spelling with 400, and the upstream sees none of them', async () => {
    const g = await setup();
    const segments = [
      '..;',
      '..;jsessionid=1',
      '%2e%2e;',
      '%2E%2E;x=1',
      '.;',
      'a;..',
      '%252e%252e',
      '%252E%252e',
      '%25252e%25252e',
      '%2e%2e%2f',
      '..%2f',
      '.%2e',
      '%2e.',
      '..%5c',
      '%255c',
      '%252f',
      'a\\..',
      '..\\',
      '%c0%ae%c0%ae',
      '%ef%bc%8e%ef%bc%8e',
      '%e2%80%a5',
      'a%ef%bc%8fb',
      '%2e%2e%00',
      '%25%32%65%25%32%65',
    ];
    for (const segment of segments) {
      const res = await rawRequest(g.url, `/api/v1/proxy/bot/${segment}/integrations`, { headers: admin });
      expect(res.status, segment).toBe(400);
      expect(JSON.parse(res.body.toString()).code, segment).toBe('validation_failed');
    }
    expect(up!.seen).toHaveLength(0);
  });

  it('still forwards ordinary segments that merely contain dots, percents or parameters', async () => {
    const g = await setup();
    const fine = ['a.b', '..foo', 'foo..', '...', '100%25', 'x%2520y', 'file;v=1', '%7Euser', 'caf%C3%A9'];
    for (const segment of fine) {
      const res = await rawRequest(g.url, `/api/v1/proxy/bot/${segment}`, { headers: admin });
      expect(res.status, segment).toBe(200);
    }
    expect(up!.seen.map((s) => s.url)).toEqual(fine.map((s) => `/api/${s}`));
  });
});

describe('proxy upstream answers', () => {
  it('a 101 to a plain request is a 502 for the client, not a hang', async () => {
    const g = await setup({
      handler: (req) => {
        req.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
      },
    });
    const res = await g.apiJson('/proxy/bot/plain', { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'upstream_error', error: expect.stringContaining('101') });
    const calls = (await g.apiJson('/integrations/_calls?direction=outbound')).body.entries;
    // The call log's `path` is the full request path since i13 (SPEC §16); `route` stays the template.
    expect(calls[0]).toMatchObject({ status_code: 502, path: '/api/v1/proxy/bot/plain' });
    expect((await g.api('/health', { token: null })).status).toBe(200);
  });
});
