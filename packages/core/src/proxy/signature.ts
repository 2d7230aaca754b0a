import { createHmac } from 'node:crypto';

/** What `X-OpenDray-Signature` covers (SPEC §8; `docs/signature.md`). */
export interface SignedParts {
  /** Unix time in whole seconds, also sent as `X-OpenDray-Timestamp`. */
  timestamp: number;
  /** Upper-case HTTP method as sent upstream. */
  method: string;
  /** The request-target exactly as in the upstream request line: path and query. */
  target: string;
  integrationId: string;
}

/**
 * The canonical string the signature is computed over:
 * `v1:<timestamp>:<METHOD>:<path?query as sent>:<integration_id>`.
 * Any change to this format is a new version prefix, never an edit of `v1`.
 */
export function canonicalString(parts: SignedParts): string {
  return `v1:${parts.timestamp}:${parts.method.toUpperCase()}:${parts.target}:${parts.integrationId}`;
}

/** The `X-OpenDray-Signature` value: `v1=` + hex HMAC-SHA256 of the canonical string keyed by the secret. */
export function signatureHeader(secret: string, parts: SignedParts): string {
  return `v1=${createHmac('sha256', secret).update(canonicalString(parts)).digest('hex')}`;
}
