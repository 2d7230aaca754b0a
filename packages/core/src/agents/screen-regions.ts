import type { AgentRules, CompiledRule } from './rules.js';

const BOX_ONLY = /^[\s─━│┃╭╮╰╯┌┐└┘├┤┬┴┼═║]*$/;
const MAX_TEXT = 8192;

/** The screen rule that matches the rendered screen now, and the line it matched on. */
export function matchScreen(rules: AgentRules, lines: readonly string[]): { rule: CompiledRule; line: number } | undefined {
  const text = lines.join('\n');
  const rule = rules.screen.find((r) => r.match.test(text));
  if (!rule) return undefined;
  const line = lines.findIndex((l) => rule.match.test(l));
  return { rule, line: line < 0 ? 0 : line };
}

/**
 * The dialog's text (SPEC §17 `prompt_text`): from the rule's `dialog_start` line (searched
 * upwards from the match, at most 16 lines) or the matched line, to the last non-empty line;
 * box-drawing-only lines dropped and box borders stripped.
 */
export function dialogText(lines: readonly string[], rule: CompiledRule, line: number): string {
  let start = line;
  if (rule.dialog_start) {
    for (let i = line; i >= Math.max(0, line - 16); i--) {
      if (rule.dialog_start.test(lines[i]!)) {
        start = i;
        break;
      }
    }
  }
  return clean(lines.slice(start));
}

/**
 * The last reply on the screen (SPEC §17 `text` fallback; also what Gemini's garbled hook
 * text is replaced with): from the last line matching `reply.start`, marker removed, up to
 * the next line matching `reply.stop`.
 */
export function replyText(rules: AgentRules, lines: readonly string[]): string {
  const reply = rules.reply;
  if (!reply) return '';
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (reply.start.test(lines[i]!)) {
      start = i;
      break;
    }
  }
  if (start < 0) return '';
  const out: string[] = [lines[start]!.replace(reply.start, '')];
  for (let i = start + 1; i < lines.length && !reply.stop.test(lines[i]!); i++) out.push(lines[i]!.replace(/^\s{2}/, ''));
  return trimBlank(out).join('\n').slice(0, MAX_TEXT);
}

function clean(lines: readonly string[]): string {
  const kept = lines
    .filter((l) => !BOX_ONLY.test(l) || l.trim() === '')
    .map((l) => l.replace(/^\s*[│┃]\s?/, '').replace(/\s*[│┃]\s*$/, '').trimEnd());
  return trimBlank(kept).join('\n').slice(0, MAX_TEXT);
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.trim() === '') a++;
  while (b > a && lines[b - 1]!.trim() === '') b--;
  return lines.slice(a, b).map((l) => l.trimEnd());
}
