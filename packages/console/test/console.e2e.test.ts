import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, WebSocket as PageSocket } from 'playwright-core';
import { OpendrayClient } from '@opendray/sdk';
import { startServe, type RunningServe } from '../../cli/test/support/cli.js';
import { launchChromium, type LaunchedBrowser } from './support/browser.js';
import { ADMIN, screenshot, signIn, terminalText, typeLine, waitForTerminalLine } from './support/console.js';

/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a real
 * `opendray serve` child process: real PTYs, real sockets, a real SQLite file.
 */
let dir: string;
let serve: RunningServe;
let browser: LaunchedBrowser;
let api: OpendrayClient;
let healthServer: Server;
let healthUrl: string;
const requests: string[] = [];
const violations: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-console-'));
  serve = await startServe(['--port', '0', '--data-dir', join(dir, 'data')], {
    OPENDRAY_ADMIN_USER: ADMIN.username,
    OPENDRAY_ADMIN_PASSWORD: ADMIN.password,
    OPENDRAY_WORKSPACE: dir,
  });
  api = new OpendrayClient({ baseUrl: serve.url });
  await api.login(ADMIN.username, ADMIN.password);
  // A stand-in integration on loopback that answers the gateway's health probes.
  healthServer = createServer((_req, res) => res.end(JSON.stringify({ status: 'healthy', version: '1.4.2' })));
  await new Promise<void>((resolve) => healthServer.listen(0, '127.0.0.1', resolve));
  healthUrl = `http://127.0.0.1:${(healthServer.address() as AddressInfo).port}`;
  browser = await launchChromium();
  // Every request and socket of every page, and every CSP violation a page reports.
  browser.context.on('request', (r) => requests.push(r.url()));
  browser.context.on('page', (p) => p.on('websocket', (ws) => requests.push(ws.url())));
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`csp-violation ${e.violatedDirective} ${e.blockedURI}`));
  });
  browser.context.on('console', (m) => {
    if (m.text().startsWith('csp-violation')) violations.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop('SIGTERM');
  healthServer?.close();
  await rm(dir, { recursive: true, force: true });
});

async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('websocket', (ws) => requests.push(ws.url()));
  return page;
}

/** Signs in and opens a fresh shell session's terminal; resolves with the session id. */
async function openShell(page: Page, name: string): Promise<string> {
  await signIn(page, serve.url);
  return createShell(page, name);
}

/** Starts a shell through the new-session dialog and waits for its prompt. */
async function createShell(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New session' }).first().click();
  await page.getByRole('radio', { name: /Shell/ }).check();
  await page.fill('#new-name', name);
  await page.getByRole('button', { name: 'Start session' }).click();
  await page.waitForURL(/#\/sessions\/ses_/);
  await page.waitForSelector('.terminal .xterm-rows');
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
  // the shell's first prompt: any non-empty line
  await waitForTerminalLine(page, /\S/);
  return id;
}

describe('the console page', () => {
  it('is served at / with a strict CSP and security headers, a fresh nonce each time', async () => {
    const [a, b] = await Promise.all([fetch(`${serve.url}/`), fetch(`${serve.url}/`)]);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(a.headers.get('referrer-policy')).toBe('no-referrer');
    expect(a.headers.get('cache-control')).toBe('no-store');
    const nonceOf = (h: string): string => /'nonce-([^']+)'/.exec(h)![1]!;
    expect(nonceOf(csp)).not.toBe(nonceOf(b.headers.get('content-security-policy')!));
    const html = await a.text();
    expect(html).toContain(`nonce="${nonceOf(csp)}"`);
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script at all
    const script = /src="(\/assets\/app-[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${serve.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    // The API keeps its own 404s; the console answers only its paths.
    expect((await fetch(`${serve.url}/api/v1/nope`)).status).toBe(404);
    expect((await fetch(`${serve.url}/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${serve.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('shows an error for a wrong password and signs nobody in', async () => {
    const page = await newPage();
    await signIn(page, serve.url, 'not-the-password');
    await expect.poll(() => page.locator('.error-text').textContent(), { timeout: 20_000 }).toContain('Wrong username or password');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'login-error');
    await page.close();
  });

  it('signs in, creates a shell session and runs a command typed in the terminal', async () => {
    const page = await newPage();
    await signIn(page, serve.url);
    await page.waitForSelector('text=Sessions');
    await screenshot(page, 'sessions-empty');
    await page.getByRole('button', { name: 'New session' }).first().click();
    await page.waitForSelector('.provider');
    await screenshot(page, 'new-session-dialog');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached' });
    const id = await createShell(page, 'answer');
    // The token is in this tab's sessionStorage, never in the URL.
    const stored = await page.evaluate(() => sessionStorage.getItem('opendray.console.auth') ?? '');
    const token = (JSON.parse(stored) as { token: string }).token;
    expect(page.url()).not.toContain(token);
    await typeLine(page, 'echo $((6*7))');
    await waitForTerminalLine(page, /^42$/);
    await screenshot(page, 'session-terminal');
    expect((await api.getSession(id)).state).toBe('running');
    await page.close();
  });

  it('resizes the session with the window: stty size follows', async () => {
    const page = await newPage();
    const id = await openShell(page, 'resize');
    for (const viewport of [{ width: 1100, height: 620 }, { width: 760, height: 900 }]) {
      const before = await api.getSession(id);
      await page.setViewportSize(viewport);
      await expect.poll(async () => (await api.getSession(id)).cols, { timeout: 20_000 }).not.toBe(before.cols);
      const { cols, rows } = await api.getSession(id);
      await typeLine(page, 'clear; stty size');
      await waitForTerminalLine(page, new RegExp(`^${rows} ${cols}$`));
    }
    await page.close();
  });

  it('restores the terminal on reload without duplicating output', async () => {
    const page = await newPage();
    await openShell(page, 'reload');
    await typeLine(page, 'echo marker-$((3*4))');
    await waitForTerminalLine(page, /^marker-12$/);
    const count = (text: string): number => text.split('\n').filter((l) => l === 'marker-12').length;
    expect(count(await terminalText(page))).toBe(1);
    await page.reload();
    const restored = await waitForTerminalLine(page, /^marker-12$/);
    expect(count(restored)).toBe(1);
    expect(restored.split('\n').filter((l) => l.endsWith('echo marker-$((3*4))'))).toHaveLength(1);
    // and it is live again
    await typeLine(page, 'echo after-$((5+5))');
    await waitForTerminalLine(page, /^after-10$/);
    await page.close();
  });

  it('pastes into the terminal (bracketed, as agent TUIs want) and copies a selection with Ctrl+Shift+C', async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serve.url });
    const page = await newPage();
    await openShell(page, 'clipboard');
    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((8*8))'));
    await page.getByRole('button', { name: 'Paste' }).click();
    await waitForTerminalLine(page, /echo pasted-\$\(\(8\*8\)\)$/);
    await page.click('.terminal');
    await page.keyboard.press('Enter');
    await waitForTerminalLine(page, /^pasted-64$/);
    const row = page.locator('.terminal .xterm-rows > div', { hasText: /^pasted-64\s*$/ });
    const box = (await row.boundingBox())!;
    await page.mouse.dblclick(box.x + 12, box.y + box.height / 2);
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('pasted-64');
    await page.close();
  });

  it('stops, restarts and deletes a session, and downloads its buffer', async () => {
    const page = await newPage();
    const id = await openShell(page, 'lifecycle');
    await typeLine(page, 'echo kept-$((2*21))');
    await waitForTerminalLine(page, /^kept-42$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download buffer' }).click()]);
    expect(download.suggestedFilename()).toBe(`lifecycle-${id}.log`);
    const saved = await readFile((await download.path())!, 'utf8');
    expect(saved).toContain('kept-42');

    await page.getByRole('button', { name: 'Stop session' }).click();
    await waitForTerminalLine(page, /^\[process ended/);
    await expect.poll(() => page.locator('.session-meta .badge').textContent(), { timeout: 20_000 }).toMatch(/stopped|ended/);
    await page.getByRole('button', { name: 'Start session' }).click();
    await expect.poll(() => page.locator('.session-meta .badge').textContent(), { timeout: 20_000 }).toBe('running');
    await typeLine(page, 'echo again-$((6*6))');
    await waitForTerminalLine(page, /^again-36$/);

    await page.getByRole('button', { name: 'Delete session' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/#\/sessions$/);
    expect(await page.locator(`a[href="#/sessions/${id}"]`).count()).toBe(0);
    expect(await api.getSession(id).then(() => 200, (e: { status: number }) => e.status)).toBe(404);
    await page.close();
  });

  it('a read-only viewer cannot type into the session', async () => {
    const page = await newPage();
    const id = await openShell(page, 'readonly');
    await page.locator('label.switch', { hasText: 'Read-only' }).click();
    expect(await page.getByRole('switch', { name: 'Read-only' }).isChecked()).toBe(true);
    await page.waitForSelector('.banner');
    await typeLine(page, 'echo typed-while-read-only');
    // Input that did reach the PTY after the keystrokes: if they had been sent, they'd be in the buffer before it.
    await api.sendInput(id, 'echo sentinel-$((7*6))\n');
    await expect.poll(async () => new TextDecoder().decode((await api.getBuffer(id)).bytes), { timeout: 20_000 }).toContain('sentinel-42');
    expect(new TextDecoder().decode((await api.getBuffer(id)).bytes)).not.toContain('typed-while-read-only');
    await waitForTerminalLine(page, /^sentinel-42$/); // it still watches
    await screenshot(page, 'session-read-only');
    await page.close();
  });

  it('registers an integration and shows its key exactly once, then rotates it with a grace period', async () => {
    const page = await newPage();
    await signIn(page, serve.url);
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.getByRole('button', { name: 'Register' }).first().click();
    await page.fill('#reg-name', 'ci-bot');
    await page.getByRole('checkbox', { name: /session:create/ }).check();
    await screenshot(page, 'integration-register');
    await page.getByRole('button', { name: 'Register', exact: true }).last().click();
    const keyField = page.locator('#key-api');
    await keyField.waitFor();
    const key = await keyField.inputValue();
    expect(key).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => page.locator('.warning').textContent()).toContain('you will not see this again');
    await screenshot(page, 'integration-key');
    const asBot = new OpendrayClient({ baseUrl: serve.url, token: key });
    expect((await asBot.me()).kind).toBe('integration');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.waitForSelector('#key-api', { state: 'detached' });
    expect(await page.content()).not.toContain(key);
    await page.waitForSelector('text=ci-bot');
    // A service integration shows its health, pushed by integration.health_changed.
    await api.createIntegration({ name: 'web-hook-relay', base_url: healthUrl, route_prefix: 'relay', scopes: ['session:read'] });
    await page.locator('tr', { hasText: 'web-hook-relay' }).locator('.badge', { hasText: 'healthy' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'integrations');

    await page.getByRole('button', { name: 'Rotate the key of ci-bot' }).click();
    await page.selectOption('#rotate-grace', '60');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await keyField.waitFor();
    const rotated = await keyField.inputValue();
    expect(rotated).toMatch(/^odk_live_/);
    expect(rotated).not.toBe(key);
    expect((await new OpendrayClient({ baseUrl: serve.url, token: rotated }).me()).kind).toBe('integration');
    expect((await asBot.me()).kind).toBe('integration'); // the old key lives through its grace
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.close();
  });

  it('renders an injection attempt in a session name as text', async () => {
    const name = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
    const session = await api.createSession({ provider_id: 'shell', name });
    const page = await newPage();
    await signIn(page, serve.url);
    const link = page.locator(`a[href="#/sessions/${session.id}"] .row-title`);
    await link.waitFor();
    expect(await link.textContent()).toBe(name);
    expect(await page.locator('.table img, .table script').count()).toBe(0);
    await link.click();
    await expect.poll(() => page.locator('#session-title').textContent()).toBe(name);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await api.deleteSession(session.id);
    await page.close();
  });

  it('keeps the session list live from the events socket and tails events with a topic filter', async () => {
    const page = await newPage();
    await signIn(page, serve.url);
    await page.waitForSelector('.link-live');
    const created = await api.createSession({ provider_id: 'shell', name: 'from-the-api' });
    const row = page.locator(`a[href="#/sessions/${created.id}"]`);
    await row.waitFor(); // pushed by session.started, no reload
    await api.stopSession(created.id);
    await expect.poll(() => page.locator('tr', { has: row }).locator('.badge').first().textContent(), { timeout: 20_000 }).toBe('stopped');
    await screenshot(page, 'sessions');

    await page.getByRole('link', { name: 'Events' }).click();
    await page.fill('#events-topics', 'integration.*');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('h1 + .subtitle').textContent()).toBe('Live');
    await api.createSession({ provider_id: 'shell', name: 'not-in-the-tail' });
    await api.createIntegration({ name: 'tail-probe' });
    await page.locator('.event-topic', { hasText: 'integration.registered' }).waitFor();
    expect(await page.locator('.event-topic', { hasText: 'session.started' }).count()).toBe(0);
    await screenshot(page, 'events');

    await page.getByRole('link', { name: 'Call log' }).click();
    await page.selectOption('#calls-direction', 'inbound');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.table tbody tr').first().waitFor();
    await screenshot(page, 'calls');
    await page.close();
  });

  it('looks right in the dark theme and on a narrow screen, and works from the keyboard', async () => {
    const { id } = await api.createSession({ provider_id: 'shell', name: 'dark-and-narrow' });
    await api.sendInput(id, 'printf "\\033[1;35mopendray\\033[0m \\033[32mok\\033[0m\\n"\n');
    const page = await newPage();
    await signIn(page, serve.url);
    await page.waitForSelector('.table');
    // Keyboard: a view takes focus when it opens; Tab reaches its action, Enter opens the
    // dialog with focus inside it, Escape closes it and gives focus back.
    const focused = (): Promise<string> => page.evaluate(() => (document.activeElement?.id || document.activeElement?.textContent) ?? '');
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await expect.poll(focused).toBe('main');
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await expect.poll(focused).toBe('main');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('New session');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached' });
    expect(await focused()).toBe('New session');
    while ((await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') {
      await page.getByRole('button', { name: /Change theme/ }).click();
    }
    await screenshot(page, 'sessions-dark');
    await page.goto(`${serve.url}/#/sessions/${id}`);
    await page.waitForSelector('.terminal .xterm-rows');
    await waitForTerminalLine(page, /\S/);
    await screenshot(page, 'session-dark');
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.waitForSelector('.page-head');
    await screenshot(page, 'integrations-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await page.waitForSelector('.table');
    await screenshot(page, 'sessions-narrow');
    await page.goto(`${serve.url}/#/sessions/${id}`);
    await page.waitForSelector('.terminal .xterm-rows');
    await screenshot(page, 'session-narrow');
    await page.close();
  });

  it('signing out revokes the token and closes the live terminal, in every tab that used it', async () => {
    const page = await newPage();
    const id = await openShell(page, 'logout');
    // A second tab opened from the first shares its sessionStorage, so the same token.
    const [second] = await Promise.all([
      browser.context.waitForEvent('page'),
      page.evaluate((hash) => window.open(`${location.origin}/${hash}`), `#/sessions/${id}`),
    ]);
    const sockets: PageSocket[] = [];
    second.on('websocket', (ws) => sockets.push(ws));
    await second.waitForSelector('.terminal .xterm-rows');
    await waitForTerminalLine(second, /\S/);
    const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('opendray.console.auth')!) as { token: string }).token);
    await expect.poll(() => sockets.filter((s) => !s.isClosed()).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('#login-user');
    expect(await page.locator('.terminal').count()).toBe(0);
    // The other tab's terminal and events sockets were closed by the gateway, and it is signed out.
    await expect.poll(() => sockets.every((s) => s.isClosed()), { timeout: 20_000 }).toBe(true);
    await second.waitForSelector('#login-user', { timeout: 20_000 });
    expect(await second.locator('.notice').textContent()).toContain('sign-in ended');
    const res = await fetch(`${serve.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    await screenshot(second, 'signed-out');
    await second.close();
    await page.close();
  });

  it('made no request to any host but the gateway, and no page broke its CSP', () => {
    const gateway = new URL(serve.url);
    expect(requests.length).toBeGreaterThan(20);
    for (const url of requests) {
      const u = new URL(url);
      expect(u.host, url).toBe(gateway.host);
      expect(['http:', 'ws:'], url).toContain(u.protocol);
    }
    // Sockets authenticate with single-use tickets: no token ever sat in a URL.
    expect(requests.filter((u) => u.startsWith('ws:')).every((u) => /[?&]ticket=odw_/.test(u) && !/[?&]token=/.test(u))).toBe(true);
    expect(violations).toEqual([]);
  });
});
