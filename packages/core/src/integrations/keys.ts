import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import type { StoredKey } from '../stores/types.js';

/** Every API key starts with this (SPEC §2.2, wire-compatible with opendray-v2). */
export const API_KEY_PREFIX = 'odk_live_';

/** `odk_live_` + 43 base64url characters: the whole key, nothing around it. */
export const API_KEY_PATTERN = /^odk_live_[A-Za-z0-9_-]{43}$/;

/** How many of the 43 secret characters double as the O(1) lookup id (72 bits). */
export const LOOKUP_ID_LENGTH = 12;

/** A freshly minted key: the plaintext (shown once) and its lookup id. */
export interface MintedKey {
  plaintext: string;
  lookupId: string;
}

/**
 * Mints a key from 32 CSPRNG bytes (256 bits → 43 base64url characters). The first
 * {@link LOOKUP_ID_LENGTH} characters are its lookup id; all 43 are the secret bcrypt checks.
 */
export function mintApiKey(): MintedKey {
  const secret = randomBytes(32).toString('base64url');
  return { plaintext: `${API_KEY_PREFIX}${secret}`, lookupId: secret.slice(0, LOOKUP_ID_LENGTH) };
}

/** The lookup id of a well-formed key, or null for anything that is not one. */
export function lookupIdOf(token: string): string | null {
  if (token.length !== 52 || !API_KEY_PATTERN.test(token)) return null;
  return token.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + LOOKUP_ID_LENGTH);
}

/** The HMAC secret of `X-OpenDray-Signature` (SPEC §8): 256 bits, base64url. */
export function mintSigningSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Hashes and checks API keys. bcrypt's async API runs on libuv's pool, off the event loop. */
export interface KeyHasher {
  hash(plaintext: string): Promise<string>;
  compare(plaintext: string, hash: string): Promise<boolean>;
}

/**
 * bcrypt operations made by every {@link bcryptKeyHasher} of this process, so tests and
 * benchmarks can observe "first use = 1 bcrypt, unknown key = 0 bcrypt" (SPEC §14).
 * Counting only; nothing reads it on a request path.
 */
export const keyHashStats = { hashes: 0, compares: 0 };

/** The production hasher: bcrypt at `cost` (SPEC §2.2: 12 unless a test lowers it). */
export function bcryptKeyHasher(cost: number): KeyHasher {
  return {
    hash(plaintext) {
      keyHashStats.hashes++;
      return bcrypt.hash(plaintext, cost);
    },
    compare(plaintext, hash) {
      keyHashStats.compares++;
      return bcrypt.compare(plaintext, hash);
    },
  };
}

/** Mints a key and hashes it: the plaintext for the caller, the record's part for the store. */
export async function issueKey(hasher: KeyHasher): Promise<{ plaintext: string; stored: StoredKey }> {
  const key = mintApiKey();
  return { plaintext: key.plaintext, stored: { lookup_id: key.lookupId, hash: await hasher.hash(key.plaintext) } };
}
