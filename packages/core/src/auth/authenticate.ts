import { rateLimited, unauthorized } from '../errors.js';
import type { Principal } from './principal.js';
import type { RateLimiter } from './rate-limit.js';

/** One way of proving a bearer token: admin sessions, the static token, API keys, a hook. */
export interface CredentialVerifier {
  /** The principal the token proves, or null when this verifier does not know it. */
  verify(token: string): Promise<Principal | null>;
}

/** Turns a bearer token into a principal, or throws 401/429. */
export interface Authenticator {
  authenticate(token: string | null, remoteAddr: string): Promise<Principal>;
}

/**
 * Tries each verifier in order. Missing, malformed and unknown credentials get the same
 * 401 (SPEC §1); an address with too many refused credentials gets 429 before any
 * verifier runs, so guessing costs no bcrypt.
 */
export function createAuthenticator(verifiers: readonly CredentialVerifier[], failures: RateLimiter): Authenticator {
  return {
    async authenticate(token, remoteAddr) {
      if (!token) throw unauthorized();
      const wait = failures.retryAfter(remoteAddr);
      if (wait > 0) throw rateLimited(wait, 'too many failed credentials');
      for (const verifier of verifiers) {
        const principal = await verifier.verify(token);
        if (principal) return principal;
      }
      failures.fail(remoteAddr);
      throw unauthorized();
    },
  };
}
