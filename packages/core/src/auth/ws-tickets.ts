import type { WsTicket } from '@opendray/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import { randomToken, sha256Hex } from '../security.js';
import type { AdminPrincipal } from './principal.js';

/** How long a ticket may wait for its upgrade (the brief's "~30 s"). */
export const WS_TICKET_TTL_MS = 30_000;
/** Tickets waiting at once; past it the oldest is dropped, so minting cannot grow memory. */
export const WS_TICKET_MAX_OUTSTANDING = 10_000;

/**
 * Single-use WebSocket tickets (docs/console.md): a browser cannot set `Authorization` on
 * an upgrade, and a `?token=` would put a long-lived credential in a URL. A ticket is
 * minted over REST with the bearer token, lives 30 s, opens one upgrade, and proves the
 * principal that minted it — carrying its `tokenDigest`, so sockets it opens are tracked
 * under (and die with) the minting credential.
 */
export interface WsTickets {
  mint(principal: AdminPrincipal): WsTicket;
  /**
   * Consumes the ticket: the minting principal, or null when the ticket is unknown,
   * used, expired, or its credential was revoked since (e.g. logout).
   */
  redeem(ticket: string): Promise<AdminPrincipal | null>;
  /** Forgets every ticket minted by the session token with this digest (logout). */
  revokeFor(tokenDigest: string): void;
}

export interface WsTicketDeps {
  clock: Clock;
  /** Whether the minting credential still holds (a logged-out or expired token does not). */
  credentialLive(principal: AdminPrincipal): Promise<boolean>;
  ttlMs?: number;
  maxOutstanding?: number;
}

interface Pending {
  principal: AdminPrincipal;
  expiresAt: number;
}

export function createWsTickets(deps: WsTicketDeps): WsTickets {
  const ttl = deps.ttlMs ?? WS_TICKET_TTL_MS;
  const max = deps.maxOutstanding ?? WS_TICKET_MAX_OUTSTANDING;
  // Keyed by digest, never the ticket itself; insertion order is expiry order (one TTL).
  const pending = new Map<string, Pending>();

  const prune = (now: number): void => {
    for (const [key, entry] of pending) {
      if (entry.expiresAt > now && pending.size < max) return;
      pending.delete(key);
    }
  };

  return {
    mint(principal) {
      const now = deps.clock.now();
      prune(now);
      const ticket = `odw_${randomToken(32)}`;
      const expiresAt = now + ttl;
      pending.set(sha256Hex(ticket), { principal, expiresAt });
      return { ticket, expires_at: isoTime(expiresAt) };
    },
    async redeem(ticket) {
      if (!ticket.startsWith('odw_') || ticket.length > 128) return null;
      const key = sha256Hex(ticket);
      const entry = pending.get(key);
      if (!entry) return null;
      pending.delete(key);
      if (entry.expiresAt <= deps.clock.now()) return null;
      return (await deps.credentialLive(entry.principal)) ? entry.principal : null;
    },
    revokeFor(tokenDigest) {
      for (const [key, entry] of pending) if (entry.principal.tokenDigest === tokenDigest) pending.delete(key);
    },
  };
}
