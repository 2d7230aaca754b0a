/** Why the daemon is stopping. */
export type StopReason = NodeJS.Signals | 'parent exited';

const PARENT_POLL_MS = 1_000;

/**
 * Resolves once with the first reason to stop: SIGINT, SIGTERM or SIGHUP, or the parent
 * process going away. Later signals are swallowed while the graceful shutdown runs — a
 * wrapper such as `npm exec` forwards the terminal's Ctrl-C a second time, and the default
 * action would kill the gateway mid-shutdown (and make the wrapper exit 130). A parent
 * that dies without forwarding anything (`sh -c` under `npx`) would otherwise leave an
 * orphaned gateway listening.
 */
export function waitForStop(onRepeat: (reason: NodeJS.Signals) => void = () => {}): Promise<StopReason> {
  return new Promise((resolve) => {
    let stopping = false;
    const parent = process.ppid;
    const stop = (reason: StopReason): void => {
      if (stopping) {
        if (reason !== 'parent exited') onRepeat(reason);
        return;
      }
      stopping = true;
      clearInterval(watch);
      resolve(reason);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
    // process.ppid is read afresh on each access: a reparented process sees its new parent.
    const watch = setInterval(() => {
      if (process.ppid !== parent) stop('parent exited');
    }, PARENT_POLL_MS);
    watch.unref();
  });
}

/**
 * A closed pipe (`serve | head -1`) must not crash the daemon with an EPIPE stack trace:
 * a gateway whose log reader went away keeps serving (there is nowhere to report it).
 */
export function ignoreBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}
