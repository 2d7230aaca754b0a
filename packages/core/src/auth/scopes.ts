import { FIXED_SCOPES, type Scope } from '@opendray/sdk/wire';
import type { Principal } from './principal.js';

/**
 * The one scope matcher (SPEC §3): a granted scope ending in `.*` or `:*` grants every
 * scope that starts with what precedes the `*`; otherwise only an exact match.
 */
export function scopeGrants(granted: string, wanted: string): boolean {
  if (granted === wanted) return true;
  if (granted.endsWith('.*') || granted.endsWith(':*')) return wanted.startsWith(granted.slice(0, -1));
  return false;
}

/** Whether any of `granted` grants `wanted`. */
export function hasScope(granted: readonly string[], wanted: string): boolean {
  return granted.some((g) => scopeGrants(g, wanted));
}

/** Whether a principal may act under `wanted`; admins always may. */
export function principalHasScope(principal: Principal, wanted: string): boolean {
  return principal.kind === 'admin' || hasScope(principal.scopes, wanted);
}

const EVENT_PREFIX = 'event:subscribe:';
// A topic or topic pattern: dotted lower-case words, optionally ending in `.*`, or `*`.
const TOPIC_PATTERN = /^(\*|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*(\.\*)?)$/;

/** Whether `s` is a topic name or pattern a subscriber may ask for (SPEC §6). */
export function isTopicPattern(s: string): boolean {
  return s.length <= 128 && TOPIC_PATTERN.test(s);
}

/** Whether `s` is a scope string an integration can be granted; typos are rejected (SPEC §3). */
export function isKnownScope(s: string): s is Scope {
  if ((FIXED_SCOPES as readonly string[]).includes(s)) return true;
  if (s.startsWith(EVENT_PREFIX)) return isTopicPattern(s.slice(EVENT_PREFIX.length));
  return false;
}

/** The scope needed to subscribe to a topic or pattern. */
export const eventScope = (topic: string): Scope => `${EVENT_PREFIX}${topic}`;
