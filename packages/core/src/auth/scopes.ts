import { eventScope, hasScope, isKnownScope, isTopicPattern, scopeGrants } from '@opendray/sdk/wire';
import type { Principal } from './principal.js';

// The one scope matcher and topic rule live in the wire, shared with the SDK (a
// security-relevant rule must not exist twice).
export { eventScope, hasScope, isKnownScope, isTopicPattern, scopeGrants };

/** Whether a principal may act under `wanted`; admins always may. */
export function principalHasScope(principal: Principal, wanted: string): boolean {
  return principal.kind === 'admin' || hasScope(principal.scopes, wanted);
}
