import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { credentialOf, type CredentialId } from '../auth/credential.js';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { rateLimited } from '../errors.js';
import { CloseCode } from './close-codes.js';

/** A socket held open for a principal: a WebSocket, or a raw spliced one (proxied upgrade). */
export type TrackedConnection = WebSocket | Duplex;

/**
 * Every long-lived socket, by the credential that opened it (SPEC §2.2 live revocation;
 * docs/abuse-resistance.md): admin logout or token expiry, a key's grace end, a second
 * rotation, disable and delete close exactly the sockets of the credential that stopped
 * being valid, with 4001, within a second. The events, stream and proxy endpoints all
 * `track` what they open.
 */
export interface ConnectionRegistry {
  /**
   * Holds one of the credential's socket slots while an upgrade is being handled; throws
   * 429 when it already has `maxPerCredential` (open or opening). Call the returned
   * function once the socket is tracked or the upgrade failed.
   */
  reserve(principal: Principal): () => void;
  /** Tracks an open socket under the principal's credential (and integration). */
  track(principal: Principal, conn: TrackedConnection): void;
  /** Closes every socket opened with this credential; returns how many. */
  revokeCredential(credential: CredentialId, reason: string, code?: number): number;
  /**
   * Closes every socket of the integration, whichever of its keys opened it; returns how
   * many. The code is 4001 (credential revoked) unless given, e.g. 4003 when scopes were
   * narrowed (SPEC §6).
   */
  revoke(integrationId: string, reason?: string, code?: number): number;
  count(integrationId: string): number;
  countCredential(credential: CredentialId): number;
  /** Closes everything (gateway shutdown); resolves once every socket is closed (≤ 2 s). */
  closeAll(code: number, reason: string): Promise<void>;
}

export interface ConnectionRegistryOptions {
  clock?: Clock;
  /** WebSockets (of every endpoint together) one credential may hold. @default 256 */
  maxPerCredential?: number;
}

interface CredentialEntry {
  conns: Set<TrackedConnection>;
  opening: number;
  expiry?: NodeJS.Timeout;
}

// setTimeout's longest delay; a token living longer re-arms its timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createConnectionRegistry(options: ConnectionRegistryOptions = {}): ConnectionRegistry {
  const clock = options.clock ?? { now: Date.now };
  const maxPerCredential = options.maxPerCredential ?? 256;
  const byCredential = new Map<CredentialId, CredentialEntry>();
  const byIntegration = new Map<string, Set<TrackedConnection>>();
  const all = new Set<TrackedConnection>();
  // A revocation that lands while an upgrade is being handled (after authentication,
  // before `track`) must still reach that socket: reservations and revocations are
  // ordered by one counter, and a socket reserved before its credential was revoked is
  // closed as soon as it is tracked.
  let seq = 0;
  const reservedAt = new WeakMap<Principal, number>();
  const revokedAt = new Map<string, { seq: number; code: number; reason: string }>();
  const noteRevoked = (key: string, code: number, reason: string): void => {
    revokedAt.delete(key);
    revokedAt.set(key, { seq: ++seq, code, reason });
    if (revokedAt.size > 10_000) revokedAt.delete(revokedAt.keys().next().value!);
  };
  const integrationKey = (id: string): string => `integration:${id}`;

  const entryOf = (credential: CredentialId): CredentialEntry => {
    let entry = byCredential.get(credential);
    if (!entry) byCredential.set(credential, (entry = { conns: new Set(), opening: 0 }));
    return entry;
  };
  const dropIfEmpty = (credential: CredentialId, entry: CredentialEntry): void => {
    if (entry.conns.size > 0 || entry.opening > 0 || byCredential.get(credential) !== entry) return;
    clearTimeout(entry.expiry);
    byCredential.delete(credential);
  };
  // A credential's sockets close when it expires (admin token TTL, a key's grace), not at
  // its next request.
  const armExpiry = (credential: CredentialId, entry: CredentialEntry, expiresAt: number): void => {
    if (entry.expiry) return;
    const fire = (): void => {
      const left = expiresAt - clock.now();
      if (left > 0) {
        entry.expiry = setTimeout(fire, Math.min(left, MAX_TIMER_MS));
        entry.expiry.unref();
        return;
      }
      entry.expiry = undefined;
      registry.revokeCredential(credential, 'credential expired');
    };
    fire();
  };

  const registry: ConnectionRegistry = {
    reserve(principal) {
      const credential = credentialOf(principal);
      const entry = entryOf(credential);
      if (entry.conns.size + entry.opening >= maxPerCredential) {
        dropIfEmpty(credential, entry);
        throw rateLimited(5, `too many WebSockets for this credential (at most ${maxPerCredential})`);
      }
      entry.opening++;
      reservedAt.set(principal, ++seq);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        entry.opening--;
        dropIfEmpty(credential, entry);
      };
    },
    track(principal, conn) {
      const credential = credentialOf(principal);
      const entry = entryOf(credential);
      entry.conns.add(conn);
      all.add(conn);
      const integrationId = principal.kind === 'integration' ? principal.id : undefined;
      if (integrationId) {
        const set = byIntegration.get(integrationId) ?? new Set<TrackedConnection>();
        byIntegration.set(integrationId, set);
        set.add(conn);
      }
      conn.once('close', () => {
        entry.conns.delete(conn);
        all.delete(conn);
        dropIfEmpty(credential, entry);
        if (!integrationId) return;
        const set = byIntegration.get(integrationId);
        set?.delete(conn);
        if (set?.size === 0) byIntegration.delete(integrationId);
      });
      if (principal.expiresAt !== undefined) armExpiry(credential, entry, principal.expiresAt);
      const since = reservedAt.get(principal);
      if (since === undefined) return;
      const late = [revokedAt.get(credential), integrationId ? revokedAt.get(integrationKey(integrationId)) : undefined]
        .filter((r) => r !== undefined && r.seq > since)
        .sort((a, b) => b!.seq - a!.seq)[0];
      if (late) closeConnection(conn, late.code, late.reason);
    },
    revokeCredential(credential, reason, code = CloseCode.revoked) {
      noteRevoked(credential, code, reason);
      const entry = byCredential.get(credential);
      if (!entry) return 0;
      for (const conn of entry.conns) closeConnection(conn, code, reason);
      return entry.conns.size;
    },
    revoke(integrationId, reason = 'credential revoked', code = CloseCode.revoked) {
      noteRevoked(integrationKey(integrationId), code, reason);
      const set = byIntegration.get(integrationId);
      if (!set) return 0;
      for (const conn of set) closeConnection(conn, code, reason);
      return set.size;
    },
    count(integrationId) {
      return byIntegration.get(integrationId)?.size ?? 0;
    },
    countCredential(credential) {
      return byCredential.get(credential)?.conns.size ?? 0;
    },
    async closeAll(code, reason) {
      // A WebSocket is closed gracefully (peers see the code); a spliced proxied socket can only be cut.
      await Promise.all([...all].map((conn) => (conn instanceof WebSocket ? closeGracefully(conn, code, reason) : (conn.destroy(), undefined))));
    },
  };
  return registry;
}

/**
 * A WebSocket gets the close frame (then is dropped if the peer does not answer); a
 * spliced socket carries someone else's frames, so it can only be cut.
 */
function closeConnection(conn: TrackedConnection, code: number, reason: string): void {
  if (conn instanceof WebSocket) closeHard(conn, code, reason);
  else conn.destroy();
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
