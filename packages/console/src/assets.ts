import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm install` (the root `prepare` script) puts the built page: `dist/web`. */
export const DEFAULT_ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

/** The placeholder in `index.html` that each response replaces with its CSP nonce. */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/** One built file, held in memory with its pre-compressed forms (made at build time). */
export interface Asset {
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
  type: string;
  etag: string;
}

/** The built console: the page template and the files under `/assets/`. */
export interface ConsoleAssets {
  /** `index.html` with {@link NONCE_PLACEHOLDER} where the nonce goes. */
  page: string;
  /** By file name, e.g. `app-3F2A9C.js`; nothing else is ever served (no path from the URL reaches the disk). */
  files: ReadonlyMap<string, Asset>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Reads the built console into memory (a few hundred KiB). Throws an Error naming the
 * fix when the assets were never built.
 */
export function loadConsoleAssets(dir: string = DEFAULT_ASSETS_DIR): ConsoleAssets {
  const pagePath = join(dir, 'index.html');
  if (!existsSync(pagePath)) {
    throw new Error(`the console is not built (${pagePath} is missing): run \`npm run build\` in the opendray checkout`);
  }
  const page = readFileSync(pagePath, 'utf8');
  const files = new Map<string, Asset>();
  const assetsDir = join(dir, 'assets');
  const names = existsSync(assetsDir) ? readdirSync(assetsDir) : [];
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue; // .gz / .br twins and source maps are read with their file, or not served
    const body = readFileSync(join(assetsDir, name));
    const twin = (suffix: string): Buffer | undefined => (names.includes(name + suffix) ? readFileSync(join(assetsDir, name + suffix)) : undefined);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { body, gzip: twin('.gz'), brotli: twin('.br'), type, etag });
  }
  return { page, files };
}
