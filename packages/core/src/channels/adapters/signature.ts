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

/** `sha256=<hex>` over `"<timestamp>.<body>"`: what a sender puts in `X-OpenDray-Signature`. */
export function signBody(secret: string, timestampS: number, body: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampS}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Whether a request proves `secret`: a signature header (checked over the raw bytes, within
 * the replay window), else a bearer token or `X-OpenDray-Channel-Token`. Constant time.
 */
export function provesSecret(secret: string, headers: IncomingHttpHeaders, rawBody: Buffer, nowMs: number): boolean {
  const signature = header(headers, SIGNATURE_HEADER);
  if (signature !== undefined) {
    const ts = header(headers, TIMESTAMP_HEADER);
    if (!ts || !/^\d{1,12}$/.test(ts)) return false;
    const tsNum = Number(ts);
    if (Math.abs(nowMs / 1000 - tsNum) > SIGNATURE_TOLERANCE_S) return false;
    return safeEqual(signature.trim().toLowerCase(), signBody(secret, tsNum, rawBody));
  }
  const auth = header(headers, 'authorization');
  const bearer = bearerToken(auth);
  const token = bearer ?? header(headers, TOKEN_HEADER);
  return token !== undefined && safeEqual(token, secret);
}
