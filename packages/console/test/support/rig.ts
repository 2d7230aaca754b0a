import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { OpendrayClient } from '@opendray/sdk';
import { startServe, type RunningServe } from '../../../cli/test/support/cli.js';
import { launchChromium, type LaunchedBrowser } from './browser.js';
import { ADMIN, signIn, waitForTerminalLine } from './console.js';

/**
 * What a browser test file runs against: a real `opendray serve` child (real PTYs, sockets,
 * SQLite), an admin SDK client, Debian's Chromium, and a record of every request, socket
 * and CSP violation of every page.
 */
export interface ConsoleRig {
  serve: RunningServe;
  api: OpendrayClient;
  browser: LaunchedBrowser;
  /** A loopback stand-in integration that answers health probes as healthy. */
  healthUrl: string;
  /** Every request URL and WebSocket URL any page made. */
  requests: string[];
  /** Every `securitypolicyviolation` any page reported. */
  violations: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface ConsoleRigOptions {
  /** Extra providers, written to the serve's config file (`"providers"`, as an operator would). */
  providers?: Array<Record<string, unknown>>;
}

export async function startConsoleRig(options: ConsoleRigOptions = {}): Promise<ConsoleRig> {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-console-'));
  const args = ['--port', '0', '--data-dir', join(dir, 'data')];
  if (options.providers) {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ providers: options.providers }));
    args.push('--config', join(dir, 'config.json'));
  }
  const serve = await startServe(args, {
    OPENDRAY_ADMIN_USER: ADMIN.username,
    OPENDRAY_ADMIN_PASSWORD: ADMIN.password,
    OPENDRAY_WORKSPACE: dir,
  });
  const api = new OpendrayClient({ baseUrl: serve.url });
  await api.login(ADMIN.username, ADMIN.password);
  const health: Server = createServer((_req, res) => res.end(JSON.stringify({ status: 'healthy', version: '1.4.2' })));
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  const requests: string[] = [];
  const violations: string[] = [];
  browser.context.on('request', (r) => requests.push(r.url()));
  browser.context.on('page', (p) => p.on('websocket', (ws) => requests.push(ws.url())));
  // Injected by the browser itself (not the page), so the page's CSP does not apply to it.
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`csp-violation ${e.violatedDirective} ${e.blockedURI}`));
  });
  browser.context.on('console', (m) => {
    if (m.text().startsWith('csp-violation')) violations.push(m.text());
  });
  return {
    serve,
    api,
    browser,
    healthUrl: `http://127.0.0.1:${(health.address() as AddressInfo).port}`,
    requests,
    violations,
    newPage: () => browser.context.newPage(),
    async close() {
      await browser.close();
      await serve.stop('SIGTERM');
      health.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Every request went to the gateway (or `alsoGateway`: the gateway seen through a relay),
 * every socket used a ticket (never a token), and no page reported a CSP violation.
 */
export function expectOnlyGatewayTraffic(rig: ConsoleRig, alsoGateway: string[] = []): void {
  const hosts = [rig.serve.url, ...alsoGateway].map((u) => new URL(u).host);
  expect(rig.requests.length).toBeGreaterThan(10);
  for (const url of rig.requests) {
    const u = new URL(url);
    expect(hosts, url).toContain(u.host);
    expect(['http:', 'ws:'], url).toContain(u.protocol);
  }
  const sockets = rig.requests.filter((u) => u.startsWith('ws:'));
  expect(sockets.length).toBeGreaterThan(0);
  for (const u of sockets) {
    expect(u, 'socket URL').toMatch(/[?&]ticket=odw_/);
    expect(u, 'socket URL').not.toMatch(/[?&]token=/);
  }
  expect(rig.violations).toEqual([]);
}

/** Signs in and opens a fresh shell session's terminal; resolves with the session id. */
export async function openShell(rig: ConsoleRig, page: Page, name: string): Promise<string> {
  await signIn(page, rig.serve.url);
  return createShell(page, name);
}

/** Starts a shell through the new-session dialog and waits for its first prompt. */
export async function createShell(page: Page, name: string): Promise<string> {
  await page.getByRole('button', { name: 'New session' }).first().click();
  await page.getByRole('radio', { name: /Shell/ }).check();
  await page.fill('#new-name', name);
  await page.getByRole('button', { name: 'Start session' }).click();
  await page.waitForURL(/#\/sessions\/ses_/);
  await page.waitForSelector('.terminal .xterm-rows');
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
  await waitForTerminalLine(page, /\S/);
  return id;
}
