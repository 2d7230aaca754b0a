import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { safeEqual } from '../../security.js';
import { bearerToken } from '../../http/request-meta.js';

/** Header carrying `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export const SIGNATURE_HEADER = 'x-opendray-signature';
/** Header carrying the Unix time (seconds) the signature was made at. */
export const TIMESTAMP_HEADER = 'x-opendray-timestamp';
/** Header carrying the channel's secret as is (for senders that cannot sign). */
export const TOKEN_HEADER = 'x-opendray-channel-token';

/** How far a signed request's timestamp may be from now, either way, before it is refused as a replay. */
export const SIGNATURE_TOLERANCE_S = 300;

/**
 * The direction a signature is for. Inbound (to the gateway's webhook) signs
 * `"<timestamp>.<body>"`; outbound (the gateway's deliveries) signs
 * `"outbound.<timestamp>.<body>"`. The label keeps the two apart under the one secret: a
 * delivery posted back to the inbound webhook never verifies (docs/channels.md).
 */
export type SignatureDirection = 'inbound' | 'outbound';

/** `sha256=<hex>` over the signed string of `direction`: what goes in `X-OpenDray-Signature`. */
export function signBody(secret: string, timestampS: number, body: Buffer | string, direction: SignatureDirection = 'inbound'): string {
  const mac = createHmac('sha256', secret);
  mac.update(direction === 'outbound' ? `outbound.${timestampS}.` : `${timestampS}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

/** How an inbound request proved the secret: a signature (with its timestamp) or the secret itself. */
export type InboundProof = { ok: false } | { ok: true; signature?: { value: string; timestampS: number } };

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * How a request proves `secret`: an inbound signature header (checked over the raw bytes,
 * within the window), else a bearer token or `X-OpenDray-Channel-Token`. Constant time.
 * A valid signature is returned so the caller can refuse its replay.
 */
export function inboundProof(secret: string, headers: IncomingHttpHeaders, rawBody: Buffer, nowMs: number): InboundProof {
  const signature = header(headers, SIGNATURE_HEADER);
  if (signature !== undefined) {
    const ts = header(headers, TIMESTAMP_HEADER);
    if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false };
    const tsNum = Number(ts);
    if (Math.abs(nowMs / 1000 - tsNum) > SIGNATURE_TOLERANCE_S) return { ok: false };
    const value = signature.trim().toLowerCase();
    return safeEqual(value, signBody(secret, tsNum, rawBody, 'inbound')) ? { ok: true, signature: { value, timestampS: tsNum } } : { ok: false };
  }
  const auth = header(headers, 'authorization');
  const bearer = bearerToken(auth);
  const token = bearer ?? header(headers, TOKEN_HEADER);
  return token !== undefined && safeEqual(token, secret) ? { ok: true } : { ok: false };
}
