// Mirrors the gateway's matcher (SPEC §3, §6) so that a refusal the browser's WebSocket
// cannot report (it hides the HTTP status) is still recognised as final.

const TOPIC_PATTERN = /^(\*|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*(\.\*)?)$/;

/** Whether `s` is a topic name or pattern the events endpoint accepts (SPEC §6). */
export function isTopicPattern(s: string): boolean {
  return s.length <= 128 && TOPIC_PATTERN.test(s);
}

/** Whether `granted` grants `wanted` (SPEC §3: a trailing `.*` or `:*` is a prefix match). */
export function scopeGrants(granted: string, wanted: string): boolean {
  if (granted === wanted) return true;
  if (granted.endsWith('.*') || granted.endsWith(':*')) return wanted.startsWith(granted.slice(0, -1));
  return false;
}

/**
 * The first scope `scopes` lack to subscribe to `topics`, or `undefined` (SPEC §3, §6):
 * each pattern needs `event:subscribe:<pattern>`, and a `channel.…` one also `channel:receive`.
 */
export function firstMissingScope(topics: readonly string[], scopes: readonly string[]): string | undefined {
  const has = (wanted: string): boolean => scopes.some((g) => scopeGrants(g, wanted));
  for (const topic of topics) {
    if (!has(`event:subscribe:${topic}`)) return `event:subscribe:${topic}`;
    if (topic.startsWith('channel.') && !has('channel:receive')) return 'channel:receive';
  }
  return undefined;
}
