import type { WebSocket } from 'ws';
import { CloseCode } from './close-codes.js';

/**
 * Open WebSockets per integration, so revoking a key (rotate, disable, delete) closes
 * them with 4001 at once (SPEC §2.2). Events and stream endpoints `track` every socket.
 */
export interface ConnectionRegistry {
  track(integrationId: string, ws: WebSocket): void;
  /**
   * Closes every tracked socket of the integration; returns how many. The code is 4001
   * (credential revoked) unless given, e.g. 4003 when scopes were narrowed (SPEC §6).
   */
  revoke(integrationId: string, reason?: string, code?: number): number;
  count(integrationId: string): number;
  /** Closes everything (gateway shutdown); resolves once every socket is closed (≤ 2 s). */
  closeAll(code: number, reason: string): Promise<void>;
}

export function createConnectionRegistry(): ConnectionRegistry {
  const byIntegration = new Map<string, Set<WebSocket>>();
  const all = new Set<WebSocket>();
  return {
    track(integrationId, ws) {
      const set = byIntegration.get(integrationId) ?? new Set<WebSocket>();
      byIntegration.set(integrationId, set);
      set.add(ws);
      all.add(ws);
      ws.once('close', () => {
        set.delete(ws);
        all.delete(ws);
        if (set.size === 0 && byIntegration.get(integrationId) === set) byIntegration.delete(integrationId);
      });
    },
    revoke(integrationId, reason = 'credential revoked', code = CloseCode.revoked) {
      const set = byIntegration.get(integrationId);
      if (!set) return 0;
      for (const ws of set) closeHard(ws, code, reason);
      return set.size;
    },
    count(integrationId) {
      return byIntegration.get(integrationId)?.size ?? 0;
    },
    async closeAll(code, reason) {
      await Promise.all([...all].map((ws) => closeGracefully(ws, code, reason)));
    },
  };
}

/** Sends a close frame and, if the peer does not answer within 500 ms, drops the socket. */
export function closeHard(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED) return;
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
    return;
  }
  setTimeout(() => {
    if (ws.readyState !== ws.CLOSED) ws.terminate();
  }, 500).unref();
}

/** At shutdown: how long a peer may take to answer the close frame before it is dropped. */
const SHUTDOWN_CLOSE_WAIT_MS = 2_000;

/**
 * Sends a close frame after whatever is queued (so events published just before arrive
 * first) and resolves once the socket is closed; a peer that does not answer within 2 s is
 * dropped. Used at shutdown, where a 500 ms cut would turn slow peers' 1001 into 1006.
 */
export function closeGracefully(ws: WebSocket, code: number, reason: string, waitMs = SHUTDOWN_CLOSE_WAIT_MS): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), waitMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      ws.close(code, reason);
    } catch {
      ws.terminate();
    }
  });
}
