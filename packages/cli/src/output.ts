/**
 * What the admin commands print: aligned tables for people, `--json` for programs.
 * Tables go to stdout; "nothing found" notes go to stderr so a pipe sees only rows.
 */

/** Prints `value` as pretty JSON on stdout (the `--json` output of every command). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A column: its header and how to render a row's cell. */
export interface Column<T> {
  header: string;
  cell(row: T): string | number | boolean | undefined | null;
}

/**
 * Prints rows as a table with a header line and columns padded to their widest cell.
 * Cells are made safe for a terminal (control characters become `?`): names come from
 * integrations and must not be able to send escape sequences to the operator's terminal.
 */
export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
  if (rows.length === 0) {
    process.stderr.write(`${empty}\n`);
    return;
  }
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => safeCell(c.cell(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const text = cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  process.stdout.write(`${text.join('\n')}\n`);
}

/** Prints `key: value` lines, keys aligned (one record for people). */
export function printFields(fields: ReadonlyArray<readonly [string, string | number | boolean | undefined | null]>): void {
  const shown = fields.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length)) + 1;
  process.stdout.write(shown.map(([k, v]) => `${`${k}:`.padEnd(width)} ${safeCell(v)}`).join('\n') + '\n');
}

/** A compact UTC time for tables: `2026-04-27 14:01:00Z` (the JSON keeps the full form). */
export function shortTime(iso: string | undefined | null): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A note for people on stderr (never mixed into what a pipe reads). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

function safeCell(v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null || v === '') return '-';
  return safeText(String(v));
}

/** Text from the gateway made safe for a terminal: control characters become `?`. */
export function safeText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
