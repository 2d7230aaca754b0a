import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

// Identifiers are drawn from a pooled CSPRNG buffer: one kernel call per 455 ids instead of
// one per id, which matters on the request path. Secrets never come from the pool.
const idPool = Buffer.alloc(4095);
let idPoolPos = idPool.length;

/** 12 base64url characters (72 bits) from the CSPRNG, for identifiers, never secrets. */
export function randomIdChars(): string {
  if (idPoolPos + 9 > idPool.length) {
    randomFillSync(idPool);
    idPoolPos = 0;
  }
  const out = idPool.toString('base64url', idPoolPos, idPoolPos + 9);
  idPoolPos += 9;
  return out;
}

/** `<prefix>_` + 12 base64url characters from the CSPRNG (SPEC §1). */
export function newId(prefix: 'int' | 'ses' | 'ch' | 'call' | 'tok' | 'req'): string {
  return `${prefix}_${randomIdChars()}`;
}

/** `bytes` of CSPRNG output as base64url. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Hex SHA-256 of a secret: what is stored or used as a cache key instead of the secret. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * A constant-time check against one fixed secret, its digest computed once: what
 * `safeEqual` does, with one hash per call instead of two (a check on every request).
 */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = createHash('sha256').update(secret).digest();
  return (candidate) => timingSafeEqual(createHash('sha256').update(candidate).digest(), expected);
}

/** Constant-time string equality; the length of neither input leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
