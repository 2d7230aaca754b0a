/**
 * The string formats the gateway's schemas use, implemented once (JSON Schema `format`).
 * Each has the reason a failing value is told (`field: <reason>`).
 */
export interface FormatSpec {
  validate(value: string): boolean;
  reason: string;
}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An absolute http(s) URL with a host. */
function isHttpUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url : null;
}

// Date.parse rolls 2026-02-30 over into March; a timestamp must name a real day.
function isRealDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d && Number.isFinite(Date.parse(value));
}

export const FORMATS: Readonly<Record<string, FormatSpec>> = {
  /** An RFC 3339 timestamp naming a real day (any offset; the gateway answers in UTC). */
  'date-time': {
    validate: (v) => RFC3339.test(v) && isRealDate(v),
    reason: 'must be an RFC 3339 timestamp, e.g. 2026-04-27T14:01:00.123Z',
  },
  /** Where an adapter talks to: an absolute http(s) URL with a host. */
  'http-url': {
    validate: (v) => isHttpUrl(v) !== null,
    reason: 'must be an http or https URL',
  },
  /**
   * An integration's `base_url` (SPEC §4): "" (a consumer), or an http(s) URL with a host,
   * printable ASCII without spaces (the URL parser would silently strip them), no
   * credentials, no query, no fragment.
   */
  'base-url': {
    validate: (v) => {
      if (v === '') return true;
      if (!VISIBLE_ASCII.test(v) || v.includes('?') || v.includes('#')) return false;
      const url = isHttpUrl(v);
      return url !== null && !url.username && !url.password;
    },
    reason: 'must be an http or https URL with a host, in printable ASCII, without credentials, query or fragment',
  },
};
