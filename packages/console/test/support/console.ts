import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Screenshots go to `test-results/console/` at the repository root (gitignored). */
export const SHOTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test-results', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`) });
}

export const ADMIN = { username: 'operator', password: 'console-test-password-1' };

/** Opens the console and signs in through the form. */
export async function signIn(page: Page, url: string, password = ADMIN.password): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('#login-user', ADMIN.username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
}

/** What the terminal shows now, one line per row, trailing blanks trimmed. */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const rows = document.querySelector<HTMLElement>('.terminal .xterm-rows');
    return rows ? Array.from(rows.children).map((r) => (r.textContent ?? '').replace(/\s+$/, '')).join('\n') : '';
  });
}

/** Resolves once the terminal shows a line matching `line` (anchored per line). */
export async function waitForTerminalLine(page: Page, line: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(page);
    if (text.split('\n').some((l) => line.test(l))) return text;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${line}; it shows:\n${text}`);
    await page.waitForTimeout(50);
  }
}

/** Types into the terminal as a person would: focus it, type, press Enter. */
export async function typeLine(page: Page, text: string): Promise<void> {
  await page.click('.terminal');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}
