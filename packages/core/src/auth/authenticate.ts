import { rateLimited, unauthorized } from '../errors.js';
import type { Principal } from './principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { VerificationGate } from './verification-gate.js';

/**
 * Runs a costly check (a bcrypt compare) for the request being authenticated: the attempt
 * is counted against the address *before* it runs (429 when none is left), it waits in
 * the bounded verification queue (429/503 past its bounds), and it stops counting as a
 * failure when `work` resolves true.
 */
export type CostlyCheck = (work: () => Promise<boolean>) => Promise<boolean>;

/** One way of proving a bearer token: admin sessions, the static token, API keys, a hook. */
export interface CredentialVerifier {
  /**
   * The principal the token proves, or null when this verifier does not know it. Work
   * that is expensive per guess (bcrypt) goes through `costly` when it is given.
   */
  verify(token: string, costly?: CostlyCheck): Promise<Principal | null>;
}

/** Turns a bearer token into a principal, or throws 401/429/503. */
export interface Authenticator {
  authenticate(token: string | null, remoteAddr: string): Promise<Principal>;
}

export interface AuthenticatorLimits {
  /** Refused credentials per address and window. */
  failures: RateLimiter;
  /** The bounded queue of costly checks. */
  gate: VerificationGate;
}

/**
 * Tries each verifier in order (docs/abuse-resistance.md):
 * - a credential that is valid and cheap to check (a cached API key, an admin token, the
 *   static token) is accepted whatever other callers from its address did, so junk from
 *   a shared address never locks out a valid credential;
 * - a costly check (bcrypt of an API key whose lookup id is known) reserves one of the
 *   address's attempts before it runs, so a concurrent burst cannot exceed the limit;
 * - a refused credential is 401 while the address has attempts left, then 429 with
 *   `Retry-After`. Missing, malformed and unknown credentials get the same 401 (SPEC §1).
 */
export function createAuthenticator(verifiers: readonly CredentialVerifier[], limits: AuthenticatorLimits): Authenticator {
  const { failures, gate } = limits;
  return {
    async authenticate(token, remoteAddr) {
      if (!token) throw unauthorized();
      // Set while a costly check's reservation stands: that failure is already counted.
      let counted = false;
      const costly: CostlyCheck = async (work) => {
        const reservation = failures.reserve(remoteAddr);
        if (!reservation) throw rateLimited(failures.retryAfter(remoteAddr), 'too many failed credentials');
        let ok = false;
        try {
          ok = await gate.run(remoteAddr, work);
        } catch (err) {
          reservation.release(); // refused by the queue: nothing was checked
          throw err;
        }
        if (ok) reservation.release();
        else counted = true;
        return ok;
      };
      for (const verifier of verifiers) {
        const principal = await verifier.verify(token, costly);
        if (principal) return principal;
      }
      if (counted) throw unauthorized();
      const wait = failures.retryAfter(remoteAddr);
      if (wait > 0) throw rateLimited(wait, 'too many failed credentials');
      failures.fail(remoteAddr);
      throw unauthorized();
    },
  };
}
