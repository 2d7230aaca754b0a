import { isTopicPattern } from '../auth/scopes.js';
import { badRequest } from '../errors.js';

/** At most this many topics per subscription; more is a 400 (SPEC §6, bounded everything). */
export const MAX_TOPICS = 64;
/** The whole request target (path + query) may be this long; Node's parser refuses far longer ones first. */
export const MAX_URL_CHARS = 8192;

/** A validated `/integrations/_events` request. */
export interface EventsQuery {
  /** Distinct topic patterns, in the order asked. */
  patterns: string[];
  /** `?since=<seq>`: replay what came after it; null = live events only. */
  since: number | null;
}

const SEQ = /^[0-9]{1,15}$/;

/**
 * Parses `?topics=a,b` (repeatable; items trimmed, empty ones skipped; `*`, trailing `.*`) and `?since=<seq>`.
 * Throws a 400 naming the field for an empty or malformed list, too many topics, a too
 * long request, or a `since` that is not a non-negative integer (SPEC §6).
 */
export function parseEventsQuery(query: URLSearchParams, rawUrl = ''): EventsQuery {
  if (rawUrl.length > MAX_URL_CHARS) throw badRequest(`query: too long (at most ${MAX_URL_CHARS} characters)`);
  const items = query.getAll('topics').flatMap((v) => v.split(','));
  if (items.length === 0) throw badRequest('topics: required (comma-separated topics, e.g. session.*)');
  if (items.length > MAX_TOPICS) throw badRequest(`topics: at most ${MAX_TOPICS} topics`);
  if (items.every((i) => i.trim() === '')) throw badRequest('topics: no topic in the list (comma-separated topics, e.g. session.*)');
  const patterns: string[] = [];
  for (const raw of items) {
    const topic = raw.trim();
    if (topic === '') continue; // `session.*,` works, as in v2 (SPEC §16)
    if (!isTopicPattern(topic)) throw badRequest(`topics: malformed topic ${JSON.stringify(topic.slice(0, 64))}`);
    if (!patterns.includes(topic)) patterns.push(topic);
  }
  return { patterns, since: parseSince(query.getAll('since')) };
}

function parseSince(values: string[]): number | null {
  if (values.length === 0) return null;
  if (values.length > 1) throw badRequest('since: given more than once');
  const value = values[0]!;
  if (!SEQ.test(value)) throw badRequest('since: must be a non-negative integer (a seq)');
  return Number(value);
}
