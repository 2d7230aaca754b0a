import type { WebSocket } from 'ws';
import { CloseCode } from './close-codes.js';

export interface HeartbeatOptions {
  /** @default 20_000 */
  intervalMs?: number;
  /** A ping left unanswered this long drops the peer. @default 40_000 */
  timeoutMs?: number;
  /**
   * When the peer last took queued bytes (`Outbound.lastProgressAt`): a peer draining a
   * backlog is reading, even while its pong still waits behind that backlog.
   */
  lastActivity?: () => number;
  /** Called when the peer is dropped (the endpoint logs it). */
  onDrop?: () => void;
}

/** How long a dropped peer has to read its close frame before the socket is destroyed. */
const DROP_GRACE_MS = 1_000;

/**
 * Pings every `intervalMs`. A peer is dropped once a ping has gone unanswered (no pong, no
 * message, no bytes taken) for `timeoutMs` — counted from that ping, so a client that stops
 * reading is never dropped before `timeoutMs` of silence, whatever the phase of the timer
 * (SPEC §5.5, §6: 40 s). It is closed with 1013 and a reason, which a paused client that
 * comes back reads; a dead one is destroyed after a short grace. Returns the stop function.
 */
export function startHeartbeat(ws: WebSocket, { intervalMs = 20_000, timeoutMs = 40_000, lastActivity, onDrop }: HeartbeatOptions = {}): () => void {
  /** When the oldest unanswered ping was sent; null when the peer has answered. */
  let waitingSince: number | null = null;
  const seen = (): void => {
    waitingSince = null;
  };
  ws.on('pong', seen);
  ws.on('message', seen);
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return;
    const now = Date.now();
    if (waitingSince !== null && lastActivity && lastActivity() > waitingSince) waitingSince = null;
    if (waitingSince !== null && now - waitingSince >= timeoutMs) {
      stop();
      onDrop?.();
      ws.close(CloseCode.tryAgainLater, `no answer to ping for ${Math.round(timeoutMs / 1000)} s`);
      setTimeout(() => ws.terminate(), DROP_GRACE_MS).unref();
      return;
    }
    waitingSince ??= now;
    ws.ping();
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
