import type { AgentBlockedReason, AgentKind, AgentState } from '@opendray/sdk/wire';
import claudeRules from './rules/claude.json' with { type: 'json' };
import codexRules from './rules/codex.json' with { type: 'json' };
import geminiRules from './rules/gemini.json' with { type: 'json' };

/** One rule of a data file: a pattern and the state it means. */
export interface RuleSpec {
  match: string;
  state: Exclude<AgentState, 'starting' | 'exited'>;
  reason?: AgentBlockedReason;
  /** The signal cannot tell idle from a dialog: it never ends `blocked`. */
  keep_blocked?: boolean;
  /** Screen rules: where the dialog starts, searched upwards from the match (prompt_text). */
  dialog_start?: string;
}

/**
 * A provider's terminal and screen rules (SPEC §17): versioned data files shipped in
 * `agents/rules/<agent>.json`, overridable by operators (`createGateway({ agentRules })`).
 */
export interface AgentRulesSpec {
  version: 1;
  agent: AgentKind;
  tested_with?: string;
  /** OSC 0/2 window titles, first match wins. */
  title?: RuleSpec[];
  /** OSC notifications by code (9, 777, 7501…), first match wins. */
  osc?: Array<RuleSpec & { code: number }>;
  /** The OSC code whose text at the end of a turn is the final reply (codex: 9). */
  osc_reply?: number;
  /** What a bare BEL means, when the CLI rings one. */
  bel?: Omit<RuleSpec, 'match'>;
  /** Matched on the rendered screen's text, first match wins. */
  screen?: RuleSpec[];
  /**
   * The reply region on the screen: from the last line matching `start` up to `stop`.
   * `after_title`: the screen holds the reply only once this title shows (Gemini paints
   * its answer after its last hook), waited for at most `max_ms`.
   */
  reply?: { start: string; stop: string; after_title?: string; max_ms?: number };
  /**
   * The keys that answer a dialog; `settle_ms`: how long a dialog must have been up before
   * it takes keys (Codex ignores keys that come right after it opens).
   */
  permission: { allow: string; deny: string; settle_ms?: number };
  /** Quiet time that means idle when nothing better spoke this turn. */
  silence_ms?: number;
  /** After start-up, how long the first idle must last before a prompt is typed (Codex flickers). */
  ready_settle_ms?: number;
  /**
   * The states the injected hooks report (default all). A hook's word does not overrule a
   * weaker source about a state hooks never report (Gemini's turn end comes from its title).
   */
  hooks_report?: Array<'working' | 'idle' | 'blocked'>;
}

export interface CompiledRule extends Omit<RuleSpec, 'match' | 'dialog_start'> {
  match: RegExp;
  source: string;
  dialog_start?: RegExp;
}

/** Rules ready to match. */
export interface AgentRules {
  agent: AgentKind;
  version: number;
  title: CompiledRule[];
  osc: Array<CompiledRule & { code: number }>;
  oscReply?: number;
  bel?: Omit<RuleSpec, 'match'>;
  screen: CompiledRule[];
  reply?: { start: RegExp; stop: RegExp; afterTitle?: RegExp; maxMs: number };
  permission: { allow: string; deny: string; settleMs: number };
  silenceMs: number;
  readySettleMs: number;
  hooksReport: ReadonlySet<string>;
}

const BUILTIN: Record<AgentKind, AgentRulesSpec> = {
  claude: claudeRules as AgentRulesSpec,
  codex: codexRules as AgentRulesSpec,
  gemini: geminiRules as AgentRulesSpec,
};
const STATES = new Set(['working', 'idle', 'blocked']);
const REASONS = new Set(['permission', 'question', 'trust']);
const MAX_RULES = 64;

/** The shipped rules of every agent, with the operator's overrides (whole files per agent). */
export function loadAgentRules(overrides: Partial<Record<AgentKind, AgentRulesSpec>> = {}): Record<AgentKind, AgentRules> {
  const out = {} as Record<AgentKind, AgentRules>;
  for (const kind of Object.keys(BUILTIN) as AgentKind[]) {
    out[kind] = compileRules(overrides[kind] ?? BUILTIN[kind], `agentRules.${kind}`);
  }
  return out;
}

/** Validates and compiles one rules file; throws a TypeError naming the field. */
export function compileRules(spec: AgentRulesSpec, at: string): AgentRules {
  const fail = (field: string, why: string): never => {
    throw new TypeError(`${at}.${field}: ${why}`);
  };
  if (typeof spec !== 'object' || spec === null) fail('', 'must be an object');
  if (spec.version !== 1) fail('version', 'must be 1');
  const regex = (s: unknown, field: string): RegExp => {
    if (typeof s !== 'string' || s.length > 512) return fail(field, 'must be a regular expression string');
    try {
      return new RegExp(s as string, 'm');
    } catch (err) {
      return fail(field, `is not a valid regular expression (${(err as Error).message})`);
    }
  };
  const rule = (r: RuleSpec, field: string): CompiledRule => {
    if (!STATES.has(r?.state)) fail(`${field}.state`, 'must be working, idle or blocked');
    if (r.reason !== undefined && !REASONS.has(r.reason)) fail(`${field}.reason`, 'must be permission, question or trust');
    return {
      match: regex(r.match, `${field}.match`),
      source: r.match,
      state: r.state,
      ...(r.reason ? { reason: r.reason } : r.state === 'blocked' ? { reason: 'permission' as const } : {}),
      ...(r.keep_blocked ? { keep_blocked: true } : {}),
      ...(r.dialog_start ? { dialog_start: regex(r.dialog_start, `${field}.dialog_start`) } : {}),
    };
  };
  const list = <T extends RuleSpec>(v: T[] | undefined, field: string): T[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.length > MAX_RULES) return fail(field, `must be a list of at most ${MAX_RULES} rules`);
    return v;
  };
  const keys = spec.permission;
  if (typeof keys?.allow !== 'string' || typeof keys?.deny !== 'string' || !keys.allow || !keys.deny) {
    fail('permission', 'must be {allow, deny} key strings');
  }
  return {
    agent: spec.agent,
    version: spec.version,
    title: list(spec.title, 'title').map((r, i) => rule(r, `title[${i}]`)),
    osc: list(spec.osc, 'osc').map((r, i) => {
      if (!Number.isInteger(r.code)) fail(`osc[${i}].code`, 'must be an integer');
      return { ...rule(r, `osc[${i}]`), code: r.code };
    }),
    ...(spec.osc_reply !== undefined ? { oscReply: spec.osc_reply } : {}),
    ...(spec.bel ? { bel: spec.bel } : {}),
    screen: list(spec.screen, 'screen').map((r, i) => rule(r, `screen[${i}]`)),
    ...(spec.reply
      ? {
          reply: {
            start: regex(spec.reply.start, 'reply.start'),
            stop: regex(spec.reply.stop, 'reply.stop'),
            ...(spec.reply.after_title ? { afterTitle: regex(spec.reply.after_title, 'reply.after_title') } : {}),
            maxMs: Math.min(Math.max(Number(spec.reply.max_ms ?? 1000) || 0, 0), 10_000),
          },
        }
      : {}),
    permission: { allow: keys.allow, deny: keys.deny, settleMs: typeof keys.settle_ms === 'number' && keys.settle_ms >= 0 ? Math.min(keys.settle_ms, 10_000) : 0 },
    silenceMs: spec.silence_ms ?? 8000,
    readySettleMs: Math.min(Math.max(Number(spec.ready_settle_ms ?? 0) || 0, 0), 10_000),
    hooksReport: new Set(Array.isArray(spec.hooks_report) ? spec.hooks_report : ['working', 'idle', 'blocked']),
  };
}

/** The first rule whose pattern matches `text`. */
export function firstMatch<R extends CompiledRule>(rules: readonly R[], text: string): R | undefined {
  return rules.find((r) => r.match.test(text));
}
