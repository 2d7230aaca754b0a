import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Per-session hook tokens (SPEC §17): minted at spawn, valid only for
 * `POST /sessions/{id}/agent-events` of that one session, gone when its process ends. No
 * gateway-wide verifier knows them, so they authenticate nowhere else by construction.
 * Only SHA-256 digests are kept; comparison is constant-time.
 */
export class HookTokens {
  private readonly digests = new Map<string, Buffer>();

  mint(sessionId: string): string {
    const token = `odh_${randomBytes(32).toString('base64url')}`;
    this.digests.set(sessionId, digest(token));
    return token;
  }

  verify(sessionId: string, token: string | null): boolean {
    const want = this.digests.get(sessionId);
    if (!want || !token) return false;
    return timingSafeEqual(want, digest(token));
  }

  revoke(sessionId: string): void {
    this.digests.delete(sessionId);
  }
}
