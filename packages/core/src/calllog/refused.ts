import type { CallEntry } from '@opendray/sdk/wire';

/**
 * Whether a call-log row records a refused credential: a bearer token that was refused
 * (`direction: "rejected"`) or a failed login (`direction: "admin"` on `/auth/login`, 4xx or
 * 5xx). Such rows are what anyone can produce in any number, so they are aggregated when
 * rate-limited and kept under a retention of their own (docs/abuse-resistance.md).
 */
export function isRefusedCredential(row: Pick<CallEntry, 'direction' | 'route' | 'status_code'>): boolean {
  return row.direction === 'rejected' || (row.direction === 'admin' && row.route === '/auth/login' && row.status_code >= 400);
}
