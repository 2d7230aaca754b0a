import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConsoleAssets, NONCE_PLACEHOLDER, type Asset, type ConsoleAssets } from './assets.js';
import { securityHeaders } from './headers.js';

/** Mounts like `gateway.handler`: answers the console's paths, calls `next` (or 404s) for the rest. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export interface ConsoleHandlerOptions {
  /** The built page (`dist/web` of this package). @default the package's own build */
  assetsDir?: string;
  /** Already loaded assets (tests). */
  assets?: ConsoleAssets;
}

const PAGE_PATHS = new Set(['/', '/index.html']);
const ASSETS_PREFIX = '/assets/';

/**
 * The web console as a request handler (docs/console.md): `GET /` is the page (a fresh CSP
 * nonce per response, never cached), `GET /assets/<name>` the hashed, immutable bundles,
 * pre-compressed. Every response carries the strict security headers. The API is not
 * here: the page talks to `/api/v1` on the same origin.
 *
 * @example
 * const consoleHandler = createConsoleHandler();
 * http.createServer((req, res) => gateway.handler(req, res, () => consoleHandler(req, res)));
 * // or, with the gateway's own server: createGateway({ fallback: consoleHandler })
 */
export function createConsoleHandler(options: ConsoleHandlerOptions = {}): ConsoleHandler {
  const assets = options.assets ?? loadConsoleAssets(options.assetsDir);
  return (req, res, next) => {
    const path = pathOf(req.url);
    const asset = path.startsWith(ASSETS_PREFIX) ? assets.files.get(path.slice(ASSETS_PREFIX.length)) : undefined;
    const isPage = PAGE_PATHS.has(path);
    if (!isPage && !asset) {
      if (next) return next();
      return sendJson(res, 404, { error: 'not found', code: 'not_found' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: `method ${req.method} not allowed`, code: 'method_not_allowed' });
    }
    const nonce = randomBytes(16).toString('base64');
    for (const [k, v] of Object.entries(securityHeaders(nonce))) res.setHeader(k, v);
    if (asset) return sendAsset(req, res, asset);
    const body = Buffer.from(assets.page.replaceAll(NONCE_PLACEHOLDER, nonce));
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  res.setHeader('ETag', asset.etag);
  // Names carry their content hash: a new build is a new URL.
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304);
    return void res.end();
  }
  const accepted = String(req.headers['accept-encoding'] ?? '');
  let body = asset.body;
  if (asset.brotli && /\bbr\b/.test(accepted)) {
    body = asset.brotli;
    res.setHeader('Content-Encoding', 'br');
  } else if (asset.gzip && /\bgzip\b/.test(accepted)) {
    body = asset.gzip;
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}
