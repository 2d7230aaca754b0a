import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Never downloaded. */
export const CHROMIUM = process.env.OPENDRAY_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a closed network and a shared machine: no GPU, no QUIC, no first-run or
 * background traffic (component updates, sync), so the only requests are the page's own.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

export interface LaunchedBrowser {
  /** One browser context; each page in it is a tab with its own sessionStorage. */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium on a fresh profile dir (`--user-data-dir`), removed on close. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set OPENDRAY_CHROMIUM)`);
  const profile = await mkdtemp(join(tmpdir(), 'opendray-chromium-'));
  // Playwright passes the profile as --user-data-dir itself (it refuses the flag in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
