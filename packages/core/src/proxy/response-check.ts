import type { ClientRequest } from 'node:http';

/**
 * Watches the upstream side of a plain (non-upgrade) proxied request for answers that
 * would leave the client waiting forever (issue #15): Node's HTTP client never emits
 * `response` for a `101 Switching Protocols`, and with no `upgrade` listener it silently
 * destroys the socket — no error either. `onBadAnswer` is called (once) for a 101, and for
 * an upstream that closed without any response head and without an error. Independent of
 * the proxy engine: it needs only the upstream `ClientRequest`.
 */
export function watchPlainExchange(proxyReq: ClientRequest, onBadAnswer: (why: string) => void): void {
  let answered = false;
  let failed = false;
  const bad = (why: string): void => {
    if (answered) return;
    answered = true;
    onBadAnswer(why);
  };
  proxyReq.once('response', () => (answered = true));
  proxyReq.once('error', () => (failed = true));
  proxyReq.on('upgrade', (_res, socket) => {
    socket.destroy();
    bad('answered 101 Switching Protocols to a plain request');
  });
  // An error is reported by the engine's own callback; only a silent close is ours.
  proxyReq.once('close', () => setImmediate(() => !failed && bad('closed the connection without answering')));
}
