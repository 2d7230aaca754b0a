import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleHandler, loadConsoleAssets } from '../src/index.js';

let dir: string;
let server: Server;
let url: string;

/** A stand-in build: a page with the nonce placeholder, one script with its gzip twin. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-console-assets-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<meta name="csp-nonce" nonce="__CSP_NONCE__"><script type="module" src="/assets/app-X.js"></script>');
  await writeFile(join(dir, 'assets', 'app-X.js'), 'console.log(1)');
  const { gzipSync } = await import('node:zlib');
  await writeFile(join(dir, 'assets', 'app-X.js.gz'), gzipSync('console.log(1)'));
  await writeFile(join(dir, 'assets', 'notes.txt'), 'not a served type');
  const handler = createConsoleHandler({ assetsDir: dir });
  // Mounted as an embedder would: the API first, the console for the rest.
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) return void res.writeHead(200).end('api');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: new URL(url).port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createConsoleHandler', () => {
  it('serves the page with a fresh nonce in the CSP and the meta tag, never cached', async () => {
    const a = await fetch(`${url}/`);
    const b = await fetch(`${url}/index.html`);
    const nonceA = /'nonce-([^']+)'/.exec(a.headers.get('content-security-policy')!)![1]!;
    const nonceB = /'nonce-([^']+)'/.exec(b.headers.get('content-security-policy')!)![1]!;
    expect(nonceA).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonceA).not.toBe(nonceB);
    expect(await a.text()).toContain(`nonce="${nonceA}"`);
    expect(a.headers.get('cache-control')).toBe('no-store');
    for (const h of ['x-content-type-options', 'referrer-policy', 'x-frame-options']) expect(a.headers.get(h), h).toBeTruthy();
    expect(a.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(a.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('serves only files it loaded: hashed assets, compressed when accepted, with ETags', async () => {
    const plain = await fetch(`${url}/assets/app-X.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe('console.log(1)');
    const etag = plain.headers.get('etag')!;
    expect((await fetch(`${url}/assets/app-X.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // node's fetch decodes gzip itself; read the raw bytes over http instead
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve) => {
      import('node:http').then(({ get }) =>
        get(`${url}/assets/app-X.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toBe('console.log(1)');
    // Sent raw (fetch would normalise the dot segments away): no path from the URL reaches the disk.
    for (const path of ['/assets/notes.txt', '/assets/app-X.js.gz', '/assets/../index.html', '/assets/%2e%2e/index.html', '/assets/..%2Findex.html', '/etc/passwd', '/assets/']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ error: 'not found', code: 'not_found' });
    }
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
  });

  it('answers other methods with 405 and Allow, HEAD without a body', async () => {
    const res = await fetch(`${url}/`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${url}/assets/app-X.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('calls next for paths it does not serve, and refuses to start without a build', async () => {
    const handler = createConsoleHandler({ assetsDir: dir });
    let called = 0;
    handler({ url: '/elsewhere', method: 'GET', headers: {} } as never, {} as never, () => called++);
    expect(called).toBe(1);
    expect(() => loadConsoleAssets(join(dir, 'missing'))).toThrow(/console is not built.*npm run build/);
  });
});
