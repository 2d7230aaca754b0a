import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpendrayClient } from '@opendray/sdk';
import { expectOnlyGatewayTraffic, startConsoleRig, type ConsoleRig } from './support/rig.js';
import { screenshot, signIn, waitForTerminalLine } from './support/console.js';

/**
 * The console's page, sign-in, integrations, live lists, events, call log, themes and narrow screens in a real browser.
 * Debian's Chromium through playwright-core against a real `opendray serve` child.
 */
let rig: ConsoleRig;
beforeAll(async () => {
  rig = await startConsoleRig();
});
afterAll(() => rig?.close());

describe('the console page', () => {
  it('is served at / with a strict CSP and security headers, a fresh nonce each time', async () => {
    const [a, b] = await Promise.all([fetch(`${rig.serve.url}/`), fetch(`${rig.serve.url}/`)]);
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
    const asset = await fetch(`${rig.serve.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    // The API keeps its own 404s; the console answers only its paths.
    expect((await fetch(`${rig.serve.url}/api/v1/nope`)).status).toBe(404);
    expect((await fetch(`${rig.serve.url}/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${rig.serve.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('shows an error for a wrong password and signs nobody in', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.serve.url, 'not-the-password');
    await expect.poll(() => page.locator('.error-text').textContent(), { timeout: 20_000 }).toContain('Wrong username or password');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'login-error');
    await page.close();
  });

  it('registers an integration and shows its key exactly once, then rotates it with a grace period', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
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
    const asBot = new OpendrayClient({ baseUrl: rig.serve.url, token: key });
    expect((await asBot.me()).kind).toBe('integration');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.waitForSelector('#key-api', { state: 'detached' });
    expect(await page.content()).not.toContain(key);
    await page.waitForSelector('text=ci-bot');
    // A service integration shows its health, pushed by integration.health_changed.
    await rig.api.createIntegration({ name: 'web-hook-relay', base_url: rig.healthUrl, route_prefix: 'relay', scopes: ['session:read'] });
    await page.locator('tr', { hasText: 'web-hook-relay' }).locator('.badge', { hasText: 'healthy' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'integrations');

    await page.getByRole('button', { name: 'Rotate the key of ci-bot' }).click();
    await page.selectOption('#rotate-grace', '60');
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await keyField.waitFor();
    const rotated = await keyField.inputValue();
    expect(rotated).toMatch(/^odk_live_/);
    expect(rotated).not.toBe(key);
    expect((await new OpendrayClient({ baseUrl: rig.serve.url, token: rotated }).me()).kind).toBe('integration');
    expect((await asBot.me()).kind).toBe('integration'); // the old key lives through its grace
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.close();
  });

  it('disables, re-enables, edits the scopes of and deletes an integration', async () => {
    const { integration } = await rig.api.createIntegration({ name: 'editable', scopes: ['session:read'] });
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
    await page.getByRole('link', { name: 'Integrations' }).click();
    const row = page.locator('tr', { hasText: 'editable' });
    await row.locator('label.switch').click();
    await expect.poll(async () => (await rig.api.getIntegration(integration.id)).enabled, { timeout: 20_000 }).toBe(false);
    await row.locator('label.switch').click();
    await expect.poll(async () => (await rig.api.getIntegration(integration.id)).enabled, { timeout: 20_000 }).toBe(true);

    await page.getByRole('button', { name: 'Edit editable' }).click();
    await page.getByRole('checkbox', { name: /session:input/ }).check();
    await page.fill('#edit-topics', 'session.*, integration.*');
    await screenshot(page, 'integration-edit');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForSelector('dialog', { state: 'detached' });
    const saved = await rig.api.getIntegration(integration.id);
    expect(saved.scopes).toEqual(['session:read', 'session:input', 'event:subscribe:session.*', 'event:subscribe:integration.*']);
    expect(saved.max_sessions).toBeNull(); // the empty box kept "no cap" (SPEC §16), not 0
    await row.locator('.chip', { hasText: 'session:input' }).waitFor();

    await page.getByRole('button', { name: 'Delete editable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete integration' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await rig.api.getIntegration(integration.id).then(() => 200, (e: { status: number }) => e.status)).toBe(404);
    await page.close();
  });

  it('renders an injection attempt in a session name as text', async () => {
    const name = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
    const session = await rig.api.createSession({ provider_id: 'shell', name });
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
    const link = page.locator(`a[href="#/sessions/${session.id}"] .row-title`);
    await link.waitFor();
    expect(await link.textContent()).toBe(name);
    expect(await page.locator('.table img, .table script').count()).toBe(0);
    await link.click();
    await expect.poll(() => page.locator('#session-title').textContent()).toBe(name);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await rig.api.deleteSession(session.id);
    await page.close();
  });

  it('keeps the session list live from the events socket and tails events with a topic filter', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
    await page.waitForSelector('.link-live');
    const created = await rig.api.createSession({ provider_id: 'shell', name: 'from-the-api' });
    const row = page.locator(`a[href="#/sessions/${created.id}"]`);
    await row.waitFor(); // pushed by session.started, no reload
    await rig.api.stopSession(created.id);
    await expect.poll(() => page.locator('tr', { has: row }).locator('.badge').first().textContent(), { timeout: 20_000 }).toBe('stopped');
    await screenshot(page, 'sessions');

    await page.getByRole('link', { name: 'Events' }).click();
    await page.fill('#events-topics', 'integration.*');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('h1 + .subtitle').textContent()).toBe('Live');
    await rig.api.createSession({ provider_id: 'shell', name: 'not-in-the-tail' });
    await rig.api.createIntegration({ name: 'tail-probe' });
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
    const { id } = await rig.api.createSession({ provider_id: 'shell', name: 'dark-and-narrow' });
    await rig.api.sendInput(id, 'printf "\\033[1;35mopendray\\033[0m \\033[32mok\\033[0m\\n"\n');
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
    await page.waitForSelector('.table');
    // Keyboard: a view takes focus when it opens; Tab reaches its action, Enter opens the
    // dialog with focus inside it, Escape closes it and gives focus back.
    const focused = (): Promise<string> => page.evaluate(() => (document.activeElement?.id || document.activeElement?.textContent) ?? '');
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await expect.poll(focused).toBe('main');
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    await expect.poll(focused).toBe('main');
    await page.waitForSelector('.table');
    await page.getByRole('button', { name: 'New session' }).first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached' });
    while ((await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark') {
      await page.getByRole('button', { name: /Change theme/ }).click();
    }
    await screenshot(page, 'sessions-dark');
    await page.goto(`${rig.serve.url}/#/sessions/${id}`);
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
    await page.goto(`${rig.serve.url}/#/sessions/${id}`);
    await page.waitForSelector('.terminal .xterm-rows');
    await screenshot(page, 'session-narrow');
    await page.close();
  });

  it('made no request to any host but the gateway, used tickets for every socket, broke no CSP', () => {
    expectOnlyGatewayTraffic(rig);
  });
});
