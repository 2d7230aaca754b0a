import { named, T, REASON } from './kit.js';

/** Every scope an integration can be granted besides `event:subscribe:<topic>` (SPEC §3). */
export const FIXED_SCOPES = [
  'session:read',
  'session:create',
  'session:input',
  'provider:read',
  'provider:write',
  'channel:send',
  'channel:receive',
] as const;

export type FixedScope = (typeof FIXED_SCOPES)[number];
export type EventScope = `event:subscribe:${string}`;
export type Scope = FixedScope | EventScope;

const EVENT_PREFIX = 'event:subscribe:';
/** A topic or topic pattern: dotted lower-case words, optionally ending in `.*`, or `*` (SPEC §6). */
const TOPIC_PATTERN_SOURCE = '(\\*|[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*(\\.\\*)?)';
const TOPIC_PATTERN = new RegExp(`^${TOPIC_PATTERN_SOURCE}$`);
const MAX_TOPIC_CHARS = 128;

/** How a secret is shown to integration principals (SPEC §3). */
export const REDACTED = '********';

/** Whether `s` is a topic name or pattern a subscriber may ask for (SPEC §6). */
export function isTopicPattern(s: string): boolean {
  return s.length <= MAX_TOPIC_CHARS && TOPIC_PATTERN.test(s);
}

/**
 * The one scope matcher (SPEC §3), used by the gateway and the SDK alike: a granted scope
 * ending in `.*` or `:*` grants every scope that starts with what precedes the `*`;
 * otherwise only an exact match.
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

/** Whether `s` is a scope string an integration can be granted; typos are rejected (SPEC §3). */
export function isKnownScope(s: string): s is Scope {
  if ((FIXED_SCOPES as readonly string[]).includes(s)) return true;
  return s.startsWith(EVENT_PREFIX) && isTopicPattern(s.slice(EVENT_PREFIX.length));
}

/** The scope needed to subscribe to a topic or pattern. */
export const eventScope = (topic: string): EventScope => `${EVENT_PREFIX}${topic}`;

/**
 * The first scope `scopes` lack to subscribe to `topics`, or `undefined` (SPEC §3, §6):
 * each pattern needs `event:subscribe:<pattern>`, and a `channel.…` one also `channel:receive`.
 */
export function firstMissingScope(topics: readonly string[], scopes: readonly string[]): string | undefined {
  for (const topic of topics) {
    if (!hasScope(scopes, eventScope(topic))) return eventScope(topic);
    if (topic.startsWith('channel.') && !hasScope(scopes, 'channel:receive')) return 'channel:receive';
  }
  return undefined;
}

/** A scope string; the same rule as {@link isKnownScope}, as a schema. */
export const ScopeSchema = named(
  'Scope',
  T.Unsafe<Scope>({
    type: 'string',
    description: 'A fixed scope, or event:subscribe:<topic> (SPEC §3)',
    // One pattern, not a union: the same rule, and no failing branch to pay for on every scope.
    pattern: `^(?:${FIXED_SCOPES.join('|')}|${EVENT_PREFIX}${TOPIC_PATTERN_SOURCE})$`,
    maxLength: EVENT_PREFIX.length + MAX_TOPIC_CHARS,
    [REASON]: 'unknown scope',
  }),
);
