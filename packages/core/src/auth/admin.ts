import bcrypt from 'bcrypt';
import type { LoginResponse } from '@opendray/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import { badRequest, GatewayError, rateLimited } from '../errors.js';
import { randomToken, safeEqual, secretMatcher, sha256Hex } from '../security.js';
import type { AdminTokenStore } from '../stores/types.js';
import type { CredentialVerifier } from './authenticate.js';
import type { AdminPrincipal } from './principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { VerificationGate } from './verification-gate.js';

/** Shortest static admin token accepted (`OPENDRAY_ADMIN_TOKEN`, `auth.adminToken`). */
export const MIN_ADMIN_TOKEN_LENGTH = 16;
/** Shortest admin password accepted when it is given in clear (env, `auth.admin.password`). */
export const MIN_ADMIN_PASSWORD_LENGTH = 8;
/** bcrypt reads only the first 72 bytes of a password: longer ones are refused, never silently cut. */
export const MAX_ADMIN_PASSWORD_BYTES = 72;

/** Throws a TypeError naming `where` when a clear admin password is too short or too long for bcrypt. */
export function checkAdminPassword(password: string, where: string): void {
  if ([...password].length < MIN_ADMIN_PASSWORD_LENGTH) throw new TypeError(`${where} must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters`);
  if (Buffer.byteLength(password, 'utf8') > MAX_ADMIN_PASSWORD_BYTES) {
    throw new TypeError(`${where} must be at most ${MAX_ADMIN_PASSWORD_BYTES} bytes (bcrypt ignores the rest)`);
  }
}

/** Throws a TypeError naming `where` when a static admin token is too short to resist guessing. */
export function checkAdminToken(token: string, where: string): void {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) throw new TypeError(`${where} must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
}

/** The operator's credentials: a bcrypt hash, never a clear password at rest. */
export interface AdminCredentials {
  username: string;
  passwordHash: string;
}

export interface AdminAuthDeps {
  credentials: AdminCredentials | null;
  staticToken: string | null;
  tokens: AdminTokenStore;
  tokenTtlMs: number;
  loginFailures: RateLimiter;
  /** The bounded queue every bcrypt compare of a credential waits in. */
  gate: VerificationGate;
  clock: Clock;
  /** Called when a session token stops being valid by logout (its sockets are closed). */
  onTokenRevoked?: (digest: string) => void;
}

// A real hash to compare against when there is no account, so a miss costs what a hit costs.
let dummyHash: Promise<string> | undefined;
const dummyHashOf = (cost: number): Promise<string> => (dummyHash ??= bcrypt.hash(randomToken(16), cost));

/** Login, logout and the verifiers for admin session tokens and the static token (SPEC §2.1). */
export function createAdminAuth(deps: AdminAuthDeps) {
  const principalFor = (via: AdminPrincipal['via'], tokenDigest?: string): AdminPrincipal => ({
    kind: 'admin',
    id: 'admin',
    username: deps.credentials?.username ?? 'admin',
    via,
    ...(tokenDigest ? { tokenDigest } : {}),
  });

  const sessionTokens: CredentialVerifier = {
    async verify(token) {
      if (!token.startsWith('odt_')) return null;
      const digest = sha256Hex(token);
      const record = await deps.tokens.get(digest);
      if (!record) return null;
      if (Date.parse(record.expires_at) <= deps.clock.now()) {
        await deps.tokens.delete(digest);
        return null;
      }
      return { ...principalFor('session', digest), username: record.username, expiresAt: Date.parse(record.expires_at) };
    },
  };

  const isStaticToken = deps.staticToken ? secretMatcher(deps.staticToken) : null;
  const staticToken: CredentialVerifier = {
    async verify(token) {
      if (!isStaticToken?.(token)) return null;
      return principalFor('static');
    },
  };

  async function login(username: string, password: string, remoteAddr: string): Promise<LoginResponse> {
    // No password this long was ever accepted at configuration: say why, check nothing.
    if (Buffer.byteLength(password, 'utf8') > MAX_ADMIN_PASSWORD_BYTES) {
      throw badRequest(`password: at most ${MAX_ADMIN_PASSWORD_BYTES} bytes`);
    }
    // Counted before it is checked, so a concurrent burst gets at most `max` compares; a
    // correct password is refused too while the address is locked out (docs/abuse-resistance.md).
    const attempt = deps.loginFailures.reserve(remoteAddr);
    if (!attempt) throw rateLimited(deps.loginFailures.retryAfter(remoteAddr), 'too many failed logins');
    const creds = deps.credentials;
    let passwordOk: boolean;
    try {
      const hash = creds?.passwordHash ?? (await dummyHashOf(10));
      // Always one bcrypt, account or not, right user or not: timing tells nothing.
      // No per-address cap in the queue: the reservation above already is one (≤ max per window).
      passwordOk = await deps.gate.run(null, () => bcrypt.compare(password, hash));
    } catch (err) {
      attempt.release(); // refused by the queue: nothing was checked
      throw err;
    }
    const userOk = creds !== null && safeEqual(username, creds.username);
    if (!passwordOk || !userOk) {
      throw new GatewayError('unauthorized', 'invalid credentials', {
        headers: { 'WWW-Authenticate': 'Bearer realm="opendray"' },
      });
    }
    attempt.release();
    const token = `odt_${randomToken(32)}`;
    const issued = deps.clock.now();
    const record = {
      digest: sha256Hex(token),
      username: creds.username,
      issued_at: isoTime(issued),
      expires_at: isoTime(issued + deps.tokenTtlMs),
    };
    await deps.tokens.put(record);
    return { token, username: record.username, issued_at: record.issued_at, expires_at: record.expires_at };
  }

  async function logout(principal: AdminPrincipal): Promise<void> {
    if (!principal.tokenDigest) return;
    await deps.tokens.delete(principal.tokenDigest);
    deps.onTokenRevoked?.(principal.tokenDigest);
  }

  /** Whether the credential that proved `principal` still holds (checked when a WebSocket ticket is redeemed). */
  async function isLive(principal: AdminPrincipal): Promise<boolean> {
    if (principal.via === 'static') return deps.staticToken !== null;
    if (principal.via !== 'session' || !principal.tokenDigest) return true;
    const record = await deps.tokens.get(principal.tokenDigest);
    return record !== undefined && Date.parse(record.expires_at) > deps.clock.now();
  }

  return { login, logout, isLive, verifiers: [staticToken, sessionTokens] as const };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;
