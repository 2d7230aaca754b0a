import { TOPIC_ALIASES } from '@opendray/sdk/wire';
import { anyTopicMatches } from '../bus/topics.js';
import type { BusEvent } from '../bus/types.js';

/** canonical topic → its alias (the v2 guide's name) */
const ALIAS_OF: ReadonlyMap<string, string> = new Map(Object.entries(TOPIC_ALIASES).map(([alias, canonical]) => [canonical, alias]));
const CANONICAL_OF: ReadonlyMap<string, string> = new Map(Object.entries(TOPIC_ALIASES));

// One renamed copy per event, shared by every subscriber (so its frame is encoded once too).
const renamed = new WeakMap<BusEvent, BusEvent>();

/**
 * What a subscriber gets of the bus (SPEC §16 event names): the bus publishes the
 * canonical names (`integration.key_rotated`, `integration.health_changed`); a subscriber
 * that names an alias exactly (`integration.rotated`, `integration.health_change`, the v2
 * guide's) gets those events under the alias — and then never also under the canonical
 * name. Returns the patterns to subscribe the bus with, and `route`, which gives the event
 * to send for a bus event (the same object, a renamed copy, or undefined: not asked for);
 * `matched` says the bus already matched it against `busPatterns` (a live event).
 */
export function topicRouting(patterns: readonly string[]): {
  busPatterns: string[];
  route(event: BusEvent, matched: boolean): BusEvent | undefined;
} {
  const named = new Set(patterns);
  const busPatterns = [...new Set([...patterns, ...patterns.flatMap((p) => (CANONICAL_OF.has(p) ? [CANONICAL_OF.get(p)!] : []))])];
  // Without an alias asked for, the bus's own match is the answer: no second look on the hot path.
  const aliased = busPatterns.length !== patterns.length;
  return {
    busPatterns,
    route(event, matched) {
      const alias = ALIAS_OF.get(event.topic);
      if (alias !== undefined && named.has(alias)) {
        let copy = renamed.get(event);
        if (!copy) renamed.set(event, (copy = { ...event, topic: alias }));
        return copy;
      }
      return (matched && !aliased) || anyTopicMatches(patterns, event.topic) ? event : undefined;
    },
  };
}
