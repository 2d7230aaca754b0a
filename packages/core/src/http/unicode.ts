// With the u flag a surrogate pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `s` is valid Unicode text (no lone UTF-16 surrogate, which no UTF-8 consumer can carry). */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * The path (`name`, `env.FOO`, `args[2]`) of the first string in a parsed JSON value —
 * keys included — that is not valid Unicode, or undefined. A lone surrogate stored in a
 * name breaks every JSON consumer of the list that carries it, so bodies are refused at
 * the door (400) rather than stored.
 */
export function findIllFormedText(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : path || 'body';
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormedText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (!isWellFormedText(k)) return here.replace(LONE_SURROGATE, '\ufffd');
    const found = findIllFormedText(v, here);
    if (found) return found;
  }
  return undefined;
}

/** A copy of a parsed JSON value with every lone surrogate (in keys too) replaced by U+FFFD. */
export function toWellFormedJson(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE_ALL, '\ufffd');
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(toWellFormedJson);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(LONE_SURROGATE_ALL, '\ufffd'), toWellFormedJson(v)]));
}

const LONE_SURROGATE_ALL = /\p{Cs}/gu;
