// A segment of these characters needs no decoding or normalising to be judged.
const PLAIN_SEGMENT = /^[A-Za-z0-9_~.-]*$/;

/** The call-log `route` of every proxied request (SPEC §10). */
export const PROXY_ROUTE = '/proxy/{prefix}/*';

/** Where an integration's base_url path is seen through the gateway. */
export function publicPrefixOf(routePrefix: string): string {
  return `/api/v1/proxy/${routePrefix}`;
}

// Control characters and both slashes: a segment carrying them once decoded could be
// re-split or re-decoded upstream into a path outside base_url.
const FORBIDDEN_DECODED = /[\u0000-\u001f\u007f/\\]/;
/** Decoding rounds tried: enough for double- and triple-encoding; more is refused outright. */
const MAX_DECODE_ROUNDS = 3;
const ESCAPE = /%[0-9a-f]{2}/i;

const isDotSegment = (s: string): boolean => s === '.' || s === '..';

/**
 * Why one raw (still percent-encoded) path segment of a proxied request is refused, or
 * null when it may be forwarded as is (SPEC §8; docs/proxy.md). Upstreams disagree on how
 * to read a path, so anything some server would resolve outside `base_url` is refused
 * rather than normalised:
 * - a dot segment in any decoding round: `..`, `%2e%2e`, `.%2e`, double-encoded `%252e%252e`;
 * - a dot segment before or between `;` path parameters (`..;`, `%2e%2e;jsessionid=x`:
 *   Tomcat and Spring drop the parameter and go up);
 * - a slash, backslash or control character once decoded (`%2f`, `%5c`, `%2e%2e%2f`, `%00`);
 * - invalid UTF-8 (overlong forms such as `%c0%ae` throw when decoded);
 * - compatibility forms that normalise to any of these (full-width `．．`, `／`).
 */
export function refusedSegmentReason(segment: string): string | null {
  // Fast path, the common case: plain ASCII with nothing to decode or normalize.
  if (PLAIN_SEGMENT.test(segment)) return segment === '.' || segment === '..' ? 'path: dot segments are not allowed' : null;
  let stage = segment;
  for (let round = 0; ; round++) {
    const reason = stageReason(stage, round > 0);
    if (reason) return reason;
    // A literal `%` (from `%25`) with no escape after it ends the decoding: `100%25` is fine.
    if (round > 0 ? !ESCAPE.test(stage) : !stage.includes('%')) return null;
    if (round === MAX_DECODE_ROUNDS) return 'path: too many layers of percent-encoding';
    try {
      stage = decodeURIComponent(stage);
    } catch {
      return 'path: malformed percent-encoding';
    }
  }
}

function stageReason(stage: string, decoded: boolean): string | null {
  for (const form of [stage, stage.normalize('NFKC')]) {
    if (form.split(';').some(isDotSegment)) return 'path: dot segments are not allowed';
    if ((decoded || form !== stage) && FORBIDDEN_DECODED.test(form)) return 'path: encoded slashes and control characters are not allowed';
    if (form.includes('\\')) return 'path: backslashes are not allowed';
  }
  return null;
}
