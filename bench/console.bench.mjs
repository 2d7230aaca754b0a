// The web console in Debian's Chromium against a real `opendray serve` (issue #19):
// - page load → first terminal frame drawn (performance.now() in the page: the
//   `opendray:first-frame` mark the terminal sets once xterm.js parsed its first chunk),
//   next to the same over the SDK in Node (new client + attach → first onData);
// - keystroke echo through the browser terminal, p50/p99 over 200 keystrokes, timed in the
//   page from the keydown to xterm.js having parsed the echo (and to the next animation
//   frame, i.e. painted), next to the SDK in Node writing one byte to the same session.
// The session runs `stty raw -echo; exec cat`, so every echoed byte made the full trip
// browser → gateway → PTY → cat → gateway → browser.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { OpendrayClient } from '@opendray/sdk';
import { CLI, spawnUntil } from './lib/processes.mjs';
import { fmt, median, percentile } from './lib/stats.mjs';

const CHROMIUM = process.env.OPENDRAY_CHROMIUM ?? '/usr/bin/chromium';
// The flags of packages/console/test/support/browser.ts: a closed network, a shared machine.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const LOADS = 7;
const KEYS = 200;
const WARMUP = 20;
const ADMIN = { username: 'bench', password: 'bench-console-password' };

/** Keystroke → one byte over a bare WebSocket → echoed by Node → back, timed in the page like the console. */
async function bareBrowserEcho(context) {
  const server = createServer((_req, res) => res.end('<!doctype html><textarea aria-label="input"></textarea>'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.evaluate(async (port) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.binaryType = 'arraybuffer';
      await new Promise((resolve) => (ws.onopen = resolve));
      window.__floor = [];
      let t0 = 0;
      ws.onmessage = () => window.__floor.push(performance.now() - t0);
      document.addEventListener('keydown', () => {
        t0 = performance.now();
        ws.send(new Uint8Array([97]));
      });
    }, server.address().port);
    await page.click('textarea');
    for (let i = 0; i < WARMUP + KEYS; i++) {
      await page.keyboard.press('a');
      await page.waitForFunction((n) => window.__floor.length > n, i, { timeout: 10_000 });
    }
    return (await page.evaluate(() => window.__floor)).slice(WARMUP);
  } finally {
    await page.close();
    wss.close();
    server.close();
  }
}

export default async function ({ log }) {
  if (!existsSync(CHROMIUM)) {
    return [{ name: 'web console', figure: 'skipped', baseline: `no Chromium at ${CHROMIUM} (apt-get install chromium)`, ratio: '', target: '' }];
  }
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-console-'));
  const env = { SHELL: '/bin/sh', OPENDRAY_ADMIN_USER: ADMIN.username, OPENDRAY_ADMIN_PASSWORD: ADMIN.password, OPENDRAY_WORKSPACE: dir, OPENDRAY_LOG_LEVEL: 'error' };
  const gateway = await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', join(dir, 'data')], /listening on (http:\/\/\S+)/, env);
  const url = gateway.match;
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
  const rows = [];
  try {
    const api = new OpendrayClient({ baseUrl: url });
    const login = await api.login(ADMIN.username, ADMIN.password);
    const session = await api.createSession({ provider_id: 'shell', name: 'bench-echo' });
    await api.sendInput(session.id, 'stty raw -echo; exec cat\n');
    await new Promise((r) => setTimeout(r, 500));

    // ── page load → first terminal frame ────────────────────────────────────────
    await context.addInitScript((auth) => sessionStorage.setItem('opendray.console.auth', auth), JSON.stringify(login));
    const page = await context.newPage();
    const loads = [];
    for (let i = 0; i < LOADS; i++) {
      await page.goto(`${url}/#/sessions/${session.id}`, { waitUntil: 'commit' });
      if (i > 0) await page.reload({ waitUntil: 'commit' }); // a hash-only goto would not reload
      const ms = await page.waitForFunction(() => performance.getEntriesByName('opendray:first-frame')[0]?.startTime, undefined, { timeout: 20_000 });
      loads.push(await ms.jsonValue());
    }
    const sdkAttach = [];
    for (let i = 0; i < LOADS; i++) {
      const t0 = performance.now();
      const client = new OpendrayClient({ baseUrl: url, token: login.token });
      await new Promise((resolve) => {
        const a = client.attach(session.id, { onData: () => (a.close(), resolve()) });
      });
      sdkAttach.push(performance.now() - t0);
    }
    log(`first frame (page): ${loads.map((v) => v.toFixed(0)).join(', ')} ms; SDK attach → first data: ${sdkAttach.map((v) => v.toFixed(1)).join(', ')} ms`);
    rows.push({
      name: `console: page load → first terminal frame (median of ${LOADS})`,
      figure: fmt(median(loads), 'ms'),
      baseline: `${fmt(median(sdkAttach), 'ms')} SDK in Node (client + attach → first data)`,
      ratio: median(loads) / median(sdkAttach),
      target: 'informational (no SPEC §14 target)',
    });

    // ── keystroke echo through the browser terminal ─────────────────────────────
    await page.click('.terminal');
    await page.evaluate(() => {
      const w = window;
      w.__echo = { parsed: [], painted: [] };
      let t0 = null;
      document.addEventListener('keydown', () => (t0 = performance.now()), true);
      document.querySelector('.terminal').addEventListener('terminal-output', () => {
        if (t0 === null) return;
        const start = t0;
        t0 = null;
        w.__echo.parsed.push(performance.now() - start);
        requestAnimationFrame(() => w.__echo.painted.push(performance.now() - start));
      });
    });
    for (let i = 0; i < WARMUP + KEYS; i++) {
      await page.keyboard.press(String.fromCharCode(97 + (i % 26)));
      await page.waitForFunction((n) => window.__echo.painted.length > n, i, { timeout: 10_000 });
    }
    const { parsed, painted } = await page.evaluate(() => window.__echo);
    const browserParsed = parsed.slice(WARMUP);
    const browserPainted = painted.slice(WARMUP);
    await page.close();

    const client = new OpendrayClient({ baseUrl: url, token: login.token });
    let waiting = null;
    const attachment = client.attach(session.id, {
      since: (await client.getSession(session.id)).bytes_out,
      onData: (bytes) => {
        if (waiting && bytes.includes(waiting.byte)) {
          const w = waiting;
          waiting = null;
          w.resolve();
        }
      },
    });
    const sdk = [];
    for (let i = 0; i < WARMUP + KEYS; i++) {
      const byte = 97 + (i % 26);
      const t0 = performance.now();
      await new Promise((resolve) => {
        waiting = { byte, resolve };
        attachment.write(new Uint8Array([byte]));
      });
      if (i >= WARMUP) sdk.push(performance.now() - t0);
    }
    attachment.close();
    // The floor: the same keystrokes into a bare page that echoes one byte over a bare
    // WebSocket to a Node echo server, in the same browser (automation and IPC cost included).
    const floor = await bareBrowserEcho(context);
    const p = (v, q) => fmt(percentile(v, q), 'ms');
    log(`browser floor (bare page, bare ws echo): p50 ${p(floor, 50)}, p99 ${p(floor, 99)}`);
    rows.push({
      name: `console: keystroke echo in the browser terminal p50 / p99 (${KEYS} keys, parsed)`,
      figure: `${p(browserParsed, 50)} / ${p(browserParsed, 99)}`,
      baseline: `${p(sdk, 50)} / ${p(sdk, 99)} SDK in Node, same session`,
      ratio: percentile(browserParsed, 99) / percentile(sdk, 99),
      target: 'informational (/stream itself: p99 ≤ 5 ms)',
    });
    rows.push({
      name: `console: keystroke echo in the browser terminal p50 / p99 (${KEYS} keys, painted)`,
      figure: `${p(browserPainted, 50)} / ${p(browserPainted, 99)}`,
      baseline: `${p(sdk, 50)} / ${p(sdk, 99)} SDK in Node, same session`,
      ratio: percentile(browserPainted, 99) / percentile(sdk, 99),
      target: 'informational (includes the next animation frame)',
    });
    rows.push({
      name: `console: the same keystrokes into a bare page echoing over a bare WebSocket (the browser's floor)`,
      figure: `${p(floor, 50)} / ${p(floor, 99)}`,
      baseline: `${p(browserParsed, 50)} / ${p(browserParsed, 99)} the console (parsed)`,
      ratio: percentile(browserParsed, 50) / percentile(floor, 50),
      target: 'informational (ratio: console p50 over the floor p50)',
    });
  } finally {
    await context.close().catch(() => undefined);
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
