// @ts-check
// Verifies that a request came through the opendray gateway's reverse proxy (SPEC §8).
// The gateway signs `v1:<timestamp>:<METHOD>:<request-target>:<integration_id>` with
// HMAC-SHA256 keyed by the integration's signing secret, and sends
//   X-OpenDray-Timestamp: <unix seconds>
//   X-OpenDray-Signature: v1=<hex>
//   X-Integration-ID:     <integration id>
// The request-target is the path and query exactly as on the request line, i.e. `req.url`.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the gateway's clock and ours may disagree, and how long a captured request stays replayable. */
export const TOLERANCE_S = 300;

/**
 * @typedef {object} VerifyOptions
 * @property {string} secret  the signing secret returned at registration (or rotation)
 * @property {string} integrationId  this bot's own integration id (from GET /auth/me)
 * @property {number} [nowMs]  for tests; defaults to `Date.now()`
 */

/**
 * Checks the gateway's signature on one request. Never throws.
 *
 * @param {{ method?: string, url?: string, headers: import('node:http').IncomingHttpHeaders }} req
 * @param {VerifyOptions} options
 * @returns {{ ok: true } | { ok: false, reason: string }}
 */
export function verifySignature(req, { secret, integrationId, nowMs = Date.now() }) {
  const header = single(req.headers['x-opendray-signature']);
  const timestamp = single(req.headers['x-opendray-timestamp']);
  const claimedId = single(req.headers['x-integration-id']);
  if (!header || !timestamp) return { ok: false, reason: 'no signature' };
  if (claimedId !== integrationId) return { ok: false, reason: 'signed for another integration' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_S) return { ok: false, reason: 'timestamp outside the tolerance' };

  const canonical = `v1:${timestamp}:${(req.method ?? 'GET').toUpperCase()}:${req.url ?? '/'}:${integrationId}`;
  const expected = Buffer.from(createHmac('sha256', secret).update(canonical).digest('hex'), 'utf8');
  // A header may list several versions (`v1=…, v2=…`) while the format evolves: any v1 match counts.
  for (const part of header.split(',')) {
    const [version, value] = part.trim().split('=', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'signature mismatch' };
}

/** @param {string | string[] | undefined} value */
function single(value) {
  return Array.isArray(value) ? value[0] : value;
}
