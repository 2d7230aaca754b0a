import { DEFAULT_CALL_LIMIT, type CallQuery } from '@opendray/sdk/wire';
import { badRequest } from '../errors.js';

/**
 * A validated `GET /integrations/_calls` query (the route's `CallQuery` schema) as the
 * store takes it: `limit` defaulted, `since`/`until` as UTC `toISOString()` strings so they
 * compare with the stored timestamps as strings; 400 when `until` is before `since`.
 */
export function normalizeCallQuery(query: CallQuery): CallQuery {
  const q: CallQuery = { ...query, limit: query.limit ?? DEFAULT_CALL_LIMIT };
  if (q.since !== undefined) q.since = new Date(q.since).toISOString();
  if (q.until !== undefined) q.until = new Date(q.until).toISOString();
  if (q.since && q.until && q.since > q.until) throw badRequest('until: must not be before since');
  return q;
}
