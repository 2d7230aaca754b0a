import bcrypt from 'bcrypt';
import type { LoginResponse } from '@opendray/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import { GatewayError, rateLimited } from '../errors.js';
import { randomToken, safeEqual, secretMatcher, sha256Hex } from '../security.js';
import type { AdminTokenStore } from '../stores/types.js';
import type { CredentialVerifier } from './authenticate.js';
import type { AdminPrincipal } from './principal.js';
import type { RateLimiter } from './rate-limit.js';

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
  clock: Clock;
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
      return { ...principalFor('session', digest), username: record.username };
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
    const wait = deps.loginFailures.retryAfter(remoteAddr);
    if (wait > 0) throw rateLimited(wait, 'too many failed logins');
    const creds = deps.credentials;
    // Always one bcrypt, account or not, right user or not: timing tells nothing.
    const passwordOk = await bcrypt.compare(password, creds?.passwordHash ?? (await dummyHashOf(10)));
    const userOk = creds !== null && safeEqual(username, creds.username);
    if (!passwordOk || !userOk) {
      deps.loginFailures.fail(remoteAddr);
      throw new GatewayError('unauthorized', 'invalid credentials', {
        headers: { 'WWW-Authenticate': 'Bearer realm="opendray"' },
      });
    }
    deps.loginFailures.reset(remoteAddr);
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
    if (principal.tokenDigest) await deps.tokens.delete(principal.tokenDigest);
  }

  return { login, logout, verifiers: [staticToken, sessionTokens] as const };
}

export type AdminAuth = ReturnType<typeof createAdminAuth>;
