import type { ConsoleHandler } from '@opendray/console';

/**
 * The web console's request handler (docs/console.md), or null — with one line on stderr
 * saying why — when its assets are not built: the API then runs without a page.
 */
export async function loadConsole(): Promise<ConsoleHandler | null> {
  try {
    const { createConsoleHandler } = await import('@opendray/console');
    return createConsoleHandler();
  } catch (err) {
    process.stderr.write(`opendray: web console unavailable: ${(err as Error).message}\n`);
    return null;
  }
}
