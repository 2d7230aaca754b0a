/**
 * "Did you mean" hints for values a named schema refused, by schema name: a 400 for
 * `{"keys": ["Ctrl-C"]}` can say `C-c` without echoing what was sent.
 */
const HINTS = new Map<string, (value: unknown) => string | undefined>();

/** Registers the hint of one named schema (e.g. `NamedKey`). */
export function registerHint(schemaName: string, hint: (value: unknown) => string | undefined): void {
  HINTS.set(schemaName, hint);
}

/** ` (did you mean "…"?)` when the schema has a hint for the value, else ''. */
export function hintFor(schemaName: string | undefined, value: unknown): string {
  const suggestion = schemaName ? HINTS.get(schemaName)?.(value) : undefined;
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}
