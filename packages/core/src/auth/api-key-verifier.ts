import type { Clock } from '../clock.js';
import { lookupIdOf, type KeyHasher } from '../integrations/keys.js';
import { sha256Hex } from '../security.js';
import type { IntegrationRecord, IntegrationStore } from '../stores/types.js';
import type { CostlyCheck, CredentialVerifier } from './authenticate.js';
import type { IntegrationPrincipal } from './principal.js';

export interface ApiKeyVerifierOptions {
  store: IntegrationStore;
  /** Only `compare` is used; the production one is `bcryptKeyHasher(cost)`. */
  hasher: Pick<KeyHasher, 'compare'>;
  clock: Clock;
  /** Verified keys remembered at most; the oldest is forgotten first. @default 10_000 */
  maxCached?: number;
}

/** Verifies integration API keys in O(1) of the number of integrations (SPEC §2.2). */
export interface ApiKeyVerifier extends CredentialVerifier {
  verify(token: string, costly?: CostlyCheck): Promise<IntegrationPrincipal | null>;
  /** Forgets every cached key of an integration (rotate, disable, delete). */
  invalidate(integrationId: string): void;
  /** Number of cached keys (for tests and benchmarks). */
  readonly size: number;
}

interface CacheEntry {
  integrationId: string;
  /** The bcrypt hash the key matched; the entry is only good while the record still holds it. */
  hash: string;
  /** Which of the record's keys it is, so its sockets can be closed when that key dies. */
  lookupId: string;
}

/**
 * The API-key verifier (SPEC §2.2):
 * - a token that is not `odk_live_` + 43 base64url characters, or whose lookup id (its
 *   first 12 secret characters) no record holds, is refused with zero bcrypt;
 * - otherwise one bcrypt against that one record's hash, run through `costly` (counted
 *   against the caller's address before it runs, in the bounded verification queue);
 *   concurrent first uses of the same key share that one compare;
 * - a verified key is cached by its SHA-256 digest (never the plaintext). A cache hit
 *   re-reads the record, so scopes and `enabled` are always current and a rotated,
 *   disabled or deleted integration's key never passes, even before `invalidate` runs.
 */
export function createApiKeyVerifier(opts: ApiKeyVerifierOptions): ApiKeyVerifier {
  const maxCached = opts.maxCached ?? 10_000;
  const cache = new Map<string, CacheEntry>();
  const byIntegration = new Map<string, Set<string>>();
  const inflight = new Map<string, Promise<IntegrationPrincipal | null>>();

  const holdsHash = (record: IntegrationRecord, hash: string): boolean => {
    if (record.key.hash === hash) return true;
    const prev = record.previous_key;
    return prev !== undefined && prev.hash === hash && graceLasts(prev.valid_until, opts.clock.now());
  };

  const forget = (digest: string): void => {
    const entry = cache.get(digest);
    if (!entry) return;
    cache.delete(digest);
    const set = byIntegration.get(entry.integrationId);
    set?.delete(digest);
    if (set?.size === 0) byIntegration.delete(entry.integrationId);
  };

  const remember = (digest: string, entry: CacheEntry): void => {
    forget(digest);
    if (cache.size >= maxCached) forget(cache.keys().next().value!);
    cache.set(digest, entry);
    const set = byIntegration.get(entry.integrationId) ?? new Set<string>();
    set.add(digest);
    byIntegration.set(entry.integrationId, set);
  };

  const firstUse = async (token: string, lookupId: string, digest: string, costly: CostlyCheck): Promise<IntegrationPrincipal | null> => {
    const record = await opts.store.findByLookupId(lookupId);
    if (!record || !record.enabled) return null;
    const now = opts.clock.now();
    const candidate =
      record.key.lookup_id === lookupId
        ? record.key
        : record.previous_key?.lookup_id === lookupId && graceLasts(record.previous_key.valid_until, now)
          ? record.previous_key
          : null;
    if (!candidate) return null;
    if (!(await costly(() => opts.hasher.compare(token, candidate.hash)))) return null;
    // The record may have been rotated, disabled or deleted while bcrypt ran.
    const current = await opts.store.get(record.id);
    if (!current || !current.enabled || !holdsHash(current, candidate.hash)) return null;
    remember(digest, { integrationId: current.id, hash: candidate.hash, lookupId });
    return principalOf(current, lookupId);
  };

  return {
    async verify(token, costly = unguarded) {
      const lookupId = lookupIdOf(token);
      if (lookupId === null) return null;
      const digest = sha256Hex(token);
      const hit = cache.get(digest);
      if (hit) {
        const record = await opts.store.get(hit.integrationId);
        if (record && record.enabled && holdsHash(record, hit.hash)) return principalOf(record, hit.lookupId);
        forget(digest);
        if (!record || !record.enabled) return null;
      }
      let pending = inflight.get(digest);
      if (!pending) {
        pending = firstUse(token, lookupId, digest, costly).finally(() => inflight.delete(digest));
        inflight.set(digest, pending);
      }
      return pending;
    },
    invalidate(integrationId) {
      for (const digest of [...(byIntegration.get(integrationId) ?? [])]) forget(digest);
    },
    get size() {
      return cache.size;
    },
  };
}

function graceLasts(validUntil: string | undefined, now: number): boolean {
  return validUntil !== undefined && Date.parse(validUntil) > now;
}

/** Direct use of the verifier (tests, benchmarks): the check runs as is. */
const unguarded: CostlyCheck = (work) => work();

function principalOf(record: IntegrationRecord, keyLookupId: string): IntegrationPrincipal {
  const principal: IntegrationPrincipal = {
    kind: 'integration',
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    maxSessions: record.max_sessions ?? null,
    sessionAccess: record.session_access ?? 'shared',
    keyLookupId,
  };
  // A grace key's sockets close when its grace ends, even after a gateway restart.
  const grace = record.key.lookup_id !== keyLookupId ? record.previous_key?.valid_until : undefined;
  if (grace !== undefined) principal.expiresAt = Date.parse(grace);
  return principal;
}
