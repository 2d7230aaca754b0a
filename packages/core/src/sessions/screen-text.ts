/**
 * The text of a rendered screen: its lines joined, trailing blank lines trimmed (SPEC §16
 * `recent_output`; also the fallback reply text of SPEC §17).
 */
export function screenText(lines: readonly string[]): string {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end).map((l) => l.trimEnd()).join('\n');
}
