/**
 * Whether `topic` matches `pattern` (SPEC §6): `*` matches every topic, a trailing `.*`
 * matches every topic under that prefix, anything else only itself.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return topic.startsWith(pattern.slice(0, -1));
  return pattern === topic;
}

/** Whether any of `patterns` matches `topic`: overlapping patterns still mean one delivery. */
export function anyTopicMatches(patterns: readonly string[], topic: string): boolean {
  return patterns.some((p) => topicMatches(p, topic));
}
