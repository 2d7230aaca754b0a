import { readFile } from 'node:fs/promises';
import type { WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShell, expectOnlyGatewayTraffic, openShell, startConsoleRig, type ConsoleRig } from './support/rig.js';
import { startTcpRelay, type TcpRelay } from './support/tcp-proxy.js';
import { screenshot, signIn, terminalText, typeLine, waitForTerminalLine } from './support/console.js';

/**
 * The console's terminal in a real browser: typing, resizing, reload, clipboard, lifecycle, read-only, logout.
 * Debian's Chromium through playwright-core against a real `opendray serve` child.
 */
let rig: ConsoleRig;
beforeAll(async () => {
  rig = await startConsoleRig();
});
let relay: TcpRelay | undefined;
afterAll(async () => {
  await relay?.close();
  await rig?.close();
});

describe('the console terminal', () => {
  it('signs in, creates a shell session and runs a command typed in the terminal', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.serve.url);
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
    expect((await rig.api.getSession(id)).state).toBe('running');
    await page.close();
  });

  it('resizes the session with the window: stty size follows', async () => {
    const page = await rig.newPage();
    const id = await openShell(rig, page, 'resize');
    for (const viewport of [{ width: 1100, height: 620 }, { width: 760, height: 900 }]) {
      const before = await rig.api.getSession(id);
      await page.setViewportSize(viewport);
      await expect.poll(async () => (await rig.api.getSession(id)).cols, { timeout: 20_000 }).not.toBe(before.cols);
      const { cols, rows } = await rig.api.getSession(id);
      await typeLine(page, 'clear; stty size');
      await waitForTerminalLine(page, new RegExp(`^${rows} ${cols}$`));
    }
    await page.close();
  });

  it('restores the terminal on reload without duplicating output', async () => {
    const page = await rig.newPage();
    await openShell(rig, page, 'reload');
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
    await rig.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.serve.url });
    const page = await rig.newPage();
    await openShell(rig, page, 'clipboard');
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
    // A program that enabled bracketed paste (as agent TUIs do) gets the paste wrapped in markers.
    await typeLine(page, "printf '\\033[?2004h'; cat -v");
    await page.evaluate(() => navigator.clipboard.writeText('two\nlines'));
    await page.getByRole('button', { name: 'Paste' }).click();
    // The terminal echoes what cat -v reads: the start marker, then the text (a newline in a
    // paste arrives as Enter, so the first line is read at once), then the end marker.
    await waitForTerminalLine(page, /^\^\[\[200~two$/);
    await page.click('.terminal');
    await page.keyboard.press('Enter');
    await waitForTerminalLine(page, /^lines\^\[\[201~$/);
    await page.keyboard.press('Control+C');
    await page.close();
  });

  it('stops, restarts and deletes a session, and downloads its buffer', async () => {
    const page = await rig.newPage();
    const id = await openShell(rig, page, 'lifecycle');
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
    expect(await rig.api.getSession(id).then(() => 200, (e: { status: number }) => e.status)).toBe(404);
    await page.close();
  });

  it('resumes after a network drop: what was printed meanwhile shows up once, nothing twice', async () => {
    relay = await startTcpRelay(rig.serve.url);
    const page = await rig.newPage();
    await signIn(page, relay.url);
    const id = await createShell(page, 'network-drop');
    await typeLine(page, 'echo before-$((1+1))');
    await waitForTerminalLine(page, /^before-2$/);
    expect(relay.cut()).toBeGreaterThan(0); // the terminal's and the events sockets, mid-flight
    await rig.api.sendInput(id, 'echo during-$((2+2))\n');
    const text = await waitForTerminalLine(page, /^during-4$/);
    const lines = text.split('\n');
    expect(lines.filter((l) => l === 'before-2')).toHaveLength(1);
    expect(lines.filter((l) => l === 'during-4')).toHaveLength(1);
    await typeLine(page, 'echo after-$((3+3))');
    await waitForTerminalLine(page, /^after-6$/);
    await page.close();
  });

  it('a read-only viewer cannot type into the session', async () => {
    const page = await rig.newPage();
    const id = await openShell(rig, page, 'readonly');
    await page.locator('label.switch', { hasText: 'Read-only' }).click();
    expect(await page.getByRole('switch', { name: 'Read-only' }).isChecked()).toBe(true);
    await page.waitForSelector('.banner');
    await typeLine(page, 'echo typed-while-read-only');
    // Input that did reach the PTY after the keystrokes: if they had been sent, they'd be in the buffer before it.
    await rig.api.sendInput(id, 'echo sentinel-$((7*6))\n');
    await expect.poll(async () => new TextDecoder().decode((await rig.api.getBuffer(id)).bytes), { timeout: 20_000 }).toContain('sentinel-42');
    expect(new TextDecoder().decode((await rig.api.getBuffer(id)).bytes)).not.toContain('typed-while-read-only');
    await waitForTerminalLine(page, /^sentinel-42$/); // it still watches
    await screenshot(page, 'session-read-only');
    await page.close();
  });

  it('signing out revokes the token and closes the live terminal, in every tab that used it', async () => {
    const page = await rig.newPage();
    const id = await openShell(rig, page, 'logout');
    // A second tab opened from the first shares its sessionStorage, so the same token.
    const [second] = await Promise.all([
      rig.browser.context.waitForEvent('page'),
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
    const res = await fetch(`${rig.serve.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    await screenshot(second, 'signed-out');
    await second.close();
    await page.close();
  });

  it('made no request to any host but the gateway, used tickets for every socket, broke no CSP', () => {
    expectOnlyGatewayTraffic(rig, relay ? [relay.url] : []);
  });
});
