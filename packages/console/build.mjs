// Bundles the console page (web/) into dist/web with esbuild: hashed, minified, no CDN,
// nothing fetched at run time. Run by the root `prepare` script after `tsc -b`, so the
// SDK it imports is already built. Usage: node build.mjs [--dev] (dev: no minify, source maps).
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist', 'web');
const dev = process.argv.includes('--dev');

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'web', 'src', 'main.tsx') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'eof',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => /^app-.*\.js$/.test(n));
const css = outputs.find((n) => /^app-.*\.css$/.test(n));
if (!js || !css) throw new Error(`console build: expected app-*.js and app-*.css, got ${outputs.join(', ')}`);

const icon = await readFile(join(here, 'web', 'favicon.svg'));
const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
await writeFile(join(out, 'assets', iconName), icon);

const template = await readFile(join(here, 'web', 'index.html'), 'utf8');
const page = template.replaceAll('%APP_JS%', `/assets/${js}`).replaceAll('%APP_CSS%', `/assets/${css}`).replaceAll('%ICON%', `/assets/${iconName}`);
await writeFile(join(out, 'index.html'), page);

// Pre-compressed twins, so serving costs no CPU and start-up stays fast.
for (const name of [js, css, iconName]) {
  const body = await readFile(join(out, 'assets', name));
  await writeFile(join(out, 'assets', `${name}.gz`), gzipSync(body, { level: 9 }));
  await writeFile(join(out, 'assets', `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}
const size = (n) => `${n} (${Math.round(statSync(join(out, 'assets', n)).size / 1024)} KiB)`;
console.log(`console: built ${size(js)}, ${size(css)}`);
