import { OpendrayError } from './errors.js';
import type { Transport } from './http.js';
import type { SocketEnd, TicketMinter, WebSocketConstructor } from './socket.js';

/** What the client lends its sockets: the HTTP layer (URL, token, recovery), a WebSocket class, the ticket minter. */
export interface SocketContext {
  transport: Transport;
  WebSocket: WebSocketConstructor | undefined;
  /** Set when the client authenticates sockets with single-use tickets (`socketAuth: 'ticket'`). */
  ticket?: TicketMinter | undefined;
}

/** After a socket ended: give up (the error), reconnect now, after the backoff, or after `n` ms. */
export type Verdict = OpendrayError | 'now' | 'backoff' | number;

/** Per-socket memory of key recovery: at most one recovery between two successful greetings. */
export interface RecoveryState {
  recovered: boolean;
}

/**
 * The reconnection policy both resuming sockets share: a refused credential runs key
 * recovery once (a second refusal before any successful connection is final, so a
 * disabled integration cannot cause a rotation loop); 429 and 5xx refusals retry (after
 * `Retry-After` when given); other refusals (400, 403, 404) are final; close 4003 is a
 * missing scope; 4001 (revoked) and a socket that never opened without a visible refusal
 * are diagnosed over REST by `diagnose`, since browsers hide the upgrade's status.
 */
export async function judgeSocketEnd(
  ctx: SocketContext,
  end: SocketEnd,
  token: string | undefined,
  state: RecoveryState,
  diagnose: () => Promise<Verdict>,
  scopeMessage: string,
): Promise<Verdict> {
  const refusal = end.refusal;
  if (refusal) {
    if (refusal.status === 401) {
      if (state.recovered) return refusal;
      state.recovered = true;
      const fresh = await ctx.transport.recover(token, refusal).catch(() => null);
      return fresh ? 'now' : refusal;
    }
    if (refusal.status === 429 || refusal.status >= 500) return refusal.retryAfter ? refusal.retryAfter * 1000 : 'backoff';
    return refusal;
  }
  if (end.code === 4003) return new OpendrayError(403, 'missing_scope', end.reason || scopeMessage);
  if (end.code === 4001 || !end.opened) return diagnose();
  return 'backoff';
}
