import type { Principal } from '../auth/principal.js';
import { eventScope, hasScope } from '../auth/scopes.js';
import type { BusEvent } from '../bus/types.js';
import { missingScope } from '../errors.js';

const CHANNEL_RECEIVE = 'channel:receive';

/** Topics whose events belong to one integration: its sessions, itself (SPEC §3). */
const isTenantTopic = (topic: string): boolean => topic.startsWith('session.') || topic.startsWith('integration.');
/** Channel traffic needs `channel:receive` besides the event scope (SPEC §3, docs/events.md). */
const isChannelTopic = (topic: string): boolean => topic.startsWith('channel.');

const EVENT_SCOPE_PREFIX = 'event:subscribe:';

/**
 * `*` means "everything the caller may see" (SPEC §6): for an integration without
 * `event:subscribe:*` it stands for the topics its event scopes grant, so `?topics=*` works
 * for any subscriber and still delivers nothing beyond its scopes. Other patterns are kept.
 * An integration holding no event scope at all keeps `*`, and is refused for it.
 */
export function expandAllTopics(principal: Principal, patterns: readonly string[]): string[] {
  if (principal.kind === 'admin' || !patterns.includes('*') || hasScope(principal.scopes, eventScope('*'))) return [...patterns];
  const granted = principal.scopes.filter((s) => s.startsWith(EVENT_SCOPE_PREFIX)).map((s) => s.slice(EVENT_SCOPE_PREFIX.length));
  if (granted.length === 0) return [...patterns];
  return [...new Set(patterns.flatMap((p) => (p === '*' ? granted : [p])))];
}

/**
 * Refuses, before any upgrade, a subscription the principal may not make (SPEC §6): every
 * pattern needs `event:subscribe:<pattern>` (a granted `event:subscribe:session.*` covers
 * `session.idle`; `*` needs `event:subscribe:*`), and a `channel.…` pattern also needs
 * `channel:receive`. Admins pass. Throws the 403 naming the first missing scope.
 */
export function authorizeTopics(principal: Principal, patterns: readonly string[]): void {
  if (principal.kind === 'admin') return;
  for (const pattern of patterns) {
    const wanted = eventScope(pattern);
    if (!hasScope(principal.scopes, wanted)) throw missingScope(wanted);
    if (isChannelTopic(pattern) && !hasScope(principal.scopes, CHANNEL_RECEIVE)) throw missingScope(CHANNEL_RECEIVE);
  }
}

/**
 * What of the bus a principal may see, beyond matching its patterns: the admin sees every
 * event; an integration sees `session.*` and `integration.*` events only when it is their
 * tenant, `channel.*` events only with `channel:receive` (this matters for `*`, which means
 * "all the caller may see"), and everything else its patterns match. Topics starting with
 * `_` are the endpoint's control frames and never come from the bus.
 */
export function visibilityOf(principal: Principal): (event: BusEvent) => boolean {
  if (principal.kind === 'admin') return (event) => !event.topic.startsWith('_');
  const id = principal.id;
  const receivesChannels = hasScope(principal.scopes, CHANNEL_RECEIVE);
  return (event) => {
    const topic = event.topic;
    if (topic.startsWith('_')) return false;
    if (isTenantTopic(topic)) return event.tenant === id;
    if (isChannelTopic(topic)) return receivesChannels;
    return true;
  };
}
