import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `<prefix>_` + 12 base64url characters from the CSPRNG (SPEC §1). */
export function newId(prefix: 'int' | 'ses' | 'ch' | 'call' | 'tok'): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

/** `bytes` of CSPRNG output as base64url. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Hex SHA-256 of a secret: what is stored or used as a cache key instead of the secret. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string equality; the length of neither input leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
