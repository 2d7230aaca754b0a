import type { CallDirection, CallQuery } from '@opendray/sdk/wire';
import { badRequest } from '../errors.js';

/** Entries per page when `limit` is absent, and the most one page may ask for (SPEC §4). */
export const DEFAULT_CALL_LIMIT = 100;
export const MAX_CALL_LIMIT = 500;

const DIRECTIONS: readonly CallDirection[] = ['inbound', 'outbound', 'rejected', 'admin'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const CURSOR = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Validates the query string of `GET /integrations/_calls`; every bad value is a 400
 * naming its parameter. `since`/`until` come back as UTC `toISOString()` strings so the
 * store can compare them with the stored timestamps as strings. Unknown parameters are ignored.
 */
export function parseCallQuery(params: URLSearchParams): CallQuery {
  const q: CallQuery = { limit: DEFAULT_CALL_LIMIT };
  const integrationId = params.get('integration_id');
  if (integrationId !== null) {
    if (integrationId === '' || integrationId.length > 64) throw badRequest('integration_id: must be 1–64 characters');
    q.integration_id = integrationId;
  }
  const direction = params.get('direction');
  if (direction !== null) {
    if (!(DIRECTIONS as readonly string[]).includes(direction)) throw badRequest(`direction: must be one of ${DIRECTIONS.join(', ')}`);
    q.direction = direction as CallDirection;
  }
  const statusClass = params.get('status_class');
  if (statusClass !== null) {
    if (!/^[1-5]$/.test(statusClass)) throw badRequest('status_class: must be an integer from 1 to 5');
    q.status_class = Number(statusClass) as CallQuery['status_class'];
  }
  const since = params.get('since');
  if (since !== null) q.since = parseTime('since', since);
  const until = params.get('until');
  if (until !== null) q.until = parseTime('until', until);
  if (q.since && q.until && q.since > q.until) throw badRequest('until: must not be before since');
  const limit = params.get('limit');
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_CALL_LIMIT) {
      throw badRequest(`limit: must be an integer from 1 to ${MAX_CALL_LIMIT}`);
    }
    q.limit = Number(limit);
  }
  const cursor = params.get('cursor');
  if (cursor !== null) {
    if (!CURSOR.test(cursor)) throw badRequest('cursor: not a cursor from a previous page');
    q.cursor = cursor;
  }
  return q;
}

function parseTime(field: string, value: string): string {
  const ms = RFC3339.test(value) && realDate(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`${field}: must be an RFC 3339 timestamp, e.g. 2026-04-27T14:01:00.123Z`);
  return new Date(ms).toISOString();
}

// Date.parse rolls 2026-02-30 over into March; a timestamp must name a real day.
function realDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
}
