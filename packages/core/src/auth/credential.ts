import type { Principal } from './principal.js';

/**
 * The identity of the credential behind a principal, for tracking what it opened
 * (WebSockets, proxied upgrades) and closing all of it when the credential dies
 * (docs/abuse-resistance.md). Never contains a secret: admin tokens appear as their
 * SHA-256 digest, API keys as their lookup id (stored beside the hash anyway).
 */
export type CredentialId = string;

/** The credential id of an admin session token, by its SHA-256 digest. */
export const adminTokenCredential = (digest: string): CredentialId => `admin-token:${digest}`;

/** The credential id of one API key of an integration, by the key's lookup id. */
export const apiKeyCredential = (integrationId: string, lookupId: string): CredentialId => `key:${integrationId}:${lookupId}`;

/** The credential a principal was proved by. */
export function credentialOf(principal: Principal): CredentialId {
  if (principal.kind === 'admin') {
    if (principal.tokenDigest) return adminTokenCredential(principal.tokenDigest);
    return principal.via === 'static' ? 'admin-static' : `admin-${principal.via}:${principal.id}`;
  }
  return principal.keyLookupId ? apiKeyCredential(principal.id, principal.keyLookupId) : `integration:${principal.id}`;
}
