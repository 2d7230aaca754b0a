import type { WebSocket } from 'ws';

export interface HeartbeatOptions {
  /** @default 20_000 */
  intervalMs?: number;
  /** A peer that answers no ping for this long is dropped. @default 40_000 */
  timeoutMs?: number;
}

/**
 * Pings every `intervalMs`; a peer silent (no pong, no message) for `timeoutMs` is
 * terminated (SPEC §5.5, §6). Returns a function that stops the heartbeat.
 */
export function startHeartbeat(ws: WebSocket, { intervalMs = 20_000, timeoutMs = 40_000 }: HeartbeatOptions = {}): () => void {
  let lastSeen = Date.now();
  const seen = (): void => {
    lastSeen = Date.now();
  };
  ws.on('pong', seen);
  ws.on('message', seen);
  const timer = setInterval(() => {
    if (Date.now() - lastSeen >= timeoutMs) {
      ws.terminate();
      return;
    }
    if (ws.readyState === ws.OPEN) ws.ping();
  }, intervalMs);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    ws.off('pong', seen);
    ws.off('message', seen);
  };
  ws.once('close', stop);
  return stop;
}
