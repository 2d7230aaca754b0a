import type { WebSocket } from 'ws';

/** What `send` did with a frame. */
export type SendOutcome = 'sent' | 'overflow' | 'closed';

/**
 * The one backpressure policy of every outbound socket (ARCHITECTURE rule 9): a frame is
 * queued in the socket only while its unsent backlog (`bufferedAmount`) is under
 * `limitBytes`; past it the caller is told `overflow` and decides (drop + gap, or close).
 * The producer (PTY, bus) is never slowed and never waits. `binary` defaults to "a Buffer
 * is binary"; pass `false` to send UTF-8 bytes encoded once as a text frame (fan-out).
 */
export function sendBounded(ws: WebSocket, data: Buffer | string, limitBytes: number, binary = typeof data !== 'string'): SendOutcome {
  if (ws.readyState !== ws.OPEN) return 'closed';
  if (ws.bufferedAmount > limitBytes) return 'overflow';
  ws.send(data, { binary });
  return 'sent';
}

/**
 * Watches a socket's write progress: if its backlog stays non-empty and does not shrink
 * for `timeoutMs`, the peer is stuck and is terminated (SPEC §6 write timeout).
 */
export function startWriteTimeout(ws: WebSocket, timeoutMs: number): () => void {
  let lastProgress = Date.now();
  let lastBuffered = 0;
  const timer = setInterval(() => {
    const buffered = ws.bufferedAmount;
    if (buffered === 0 || buffered < lastBuffered) lastProgress = Date.now();
    lastBuffered = buffered;
    if (Date.now() - lastProgress > timeoutMs) ws.terminate();
  }, Math.max(100, Math.floor(timeoutMs / 5)));
  timer.unref();
  const stop = (): void => clearInterval(timer);
  ws.once('close', stop);
  return stop;
}
