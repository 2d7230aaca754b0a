import type { AgentBlockedReason, AgentJudgement, AgentKind, AgentSource, AgentState, AgentStatus, AgentTurn } from '@opendray/sdk/wire';
import { isoTime, setTimer } from '../clock.js';
import type { Logger } from '../log.js';
import type { ObservedSession, SessionObserver } from '../sessions/observer.js';
import { hookSignal } from './hook-signals.js';
import { firstMatch, type AgentRules } from './rules.js';
import { answerDialog, publishWhenPainted } from './dialogs.js';
import { dialogText, matchScreen, replyText } from './screen-regions.js';
import { TerminalSignalParser, type TerminalSignal } from './terminal-signals.js';

/** Most reliable first (SPEC §17 "the first source that applies wins"). */
const RANK: Record<AgentSource, number> = { hook: 0, osc: 1, title: 2, screen: 3, silence: 4, process: -1 };
/** How long a source's word stands against a weaker source that says otherwise. */
export const AUTHORITY_MS = 2_000;
/** Output settles this long before the screen rules are matched. */
const SCREEN_SETTLE_MS = 100;
const MAX_EXPLAIN = 50;

/** What a signal proposes. */
export interface Proposal {
  state: Exclude<AgentState, 'starting'>;
  reason?: AgentBlockedReason;
  keepBlocked?: boolean;
  turnStart?: boolean;
  onlyFromStarting?: boolean;
  text?: string;
  promptText?: string;
}

/** What waiters (prompt-and-wait) hear. */
export type DetectorEvent =
  | { type: 'state'; status: AgentStatus }
  | { type: 'blocked'; status: AgentStatus }
  | { type: 'turn_completed'; turn: AgentTurn; text: string; output: { from: number; to: number } };

type Source = AgentSource;

/**
 * The second built-in session observer (SPEC §17): the agent's state from its hooks, its
 * OSC/BEL signals (split-safe), its title, its screen (versioned rules) and, last, silence.
 * A weaker source never contradicts a stronger one's word younger than `AUTHORITY_MS`;
 * any input resets that (a human acted). `working` after `idle` needs a cause — a prompt
 * hook or input since — so a CLI's own start-up chatter is not a turn.
 */
export class AgentDetector implements SessionObserver {
  status: AgentStatus;
  readonly explain: AgentJudgement[] = [];
  private readonly parser = new TerminalSignalParser();
  private asserted: Partial<Record<Source, { state: AgentState; at: number }>> = {};
  private inputSinceIdle = false;
  private oscReply: string | undefined;
  /** Resolves the wait for the title after which the screen shows the reply. */
  private titleWaiter: ((title: string) => void) | null = null;
  private lastTitle = '';
  private denied = false;
  private turnFrom = 0;
  private lastOutputAt: number;
  private cancelScreen: (() => void) | null = null;
  private cancelSilence: (() => void) | null = null;
  /** The process ended: nothing changes any more. */
  done = false;
  /** The CLI's own id of the current turn, from its prompt hook. */
  private cliTurnId: string | undefined;
  /** Turns begun since this process started. */
  private turnsThisRun = 0;
  private readonly listeners = new Set<(e: DetectorEvent) => void>();

  constructor(
    readonly kind: AgentKind,
    readonly rules: AgentRules,
    readonly session: ObservedSession,
    readonly logger: Logger,
    private readonly onEnded: () => void,
  ) {
    const now = session.clock.now();
    this.lastOutputAt = now;
    const previous = session.record().agent;
    this.status = { kind, state: 'starting', since: isoTime(now), source: 'silence', ...(previous?.turn ? { turn: previous.turn } : {}) };
    this.session.update({ agent: this.status });
    this.armSilence();
  }

  /** Listens to state changes, dialogs and turn ends; returns the unsubscribe function. */
  on(listener: (e: DetectorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The byte offset a prompt about to be typed starts at (the turn's output range). */
  markPrompt(from: number): void {
    this.turnFrom = from;
    this.denied = false;
  }

  /** A permission answer sent by the gateway; a deny leaves the turn without a reply. */
  markDecision(decision: 'allow' | 'deny'): void {
    this.denied = decision === 'deny';
  }

  /**
   * How long to wait before typing a first prompt: the rules' `ready_settle_ms` minus the
   * time the agent has been idle since start-up (0 once a turn ran or it settled).
   */
  readyWaitMs(): number {
    if (this.turnsThisRun > 0 || this.status.state !== 'idle') return 0;
    return Math.max(0, this.rules.readySettleMs - (this.session.clock.now() - Date.parse(this.status.since)));
  }

  /** The agent CLI's own conversation id, once its hooks reported it. */
  agentSessionId(): string | undefined {
    const r = this.session.record();
    return r.agent_session_confirmed ? r.agent_session_id : undefined;
  }

  /** Answers the dialog that is up (SPEC §17; `dialogs.ts`). */
  answer(decision: 'allow' | 'deny', write: (keys: string) => void): Promise<boolean> {
    return answerDialog(this, decision, write);
  }

  /** One hook call (SPEC §17), already authenticated and size-checked. */
  hook(event: string, payload: Record<string, unknown>): void {
    const sig = hookSignal(this.kind, event, payload);
    const record = this.session.record();
    if (sig.threadId !== undefined) {
      // Codex notifies for its title thread too: only the session's own thread counts.
      if (!record.agent_session_confirmed || sig.threadId !== record.agent_session_id) return this.note('hook', `hook ${sig.name} (other thread)`);
    } else if (sig.agentSessionId && (sig.agentSessionId !== record.agent_session_id || !record.agent_session_confirmed)) {
      this.session.update({ agent_session_id: sig.agentSessionId, agent_session_confirmed: true });
    }
    if (!sig.state) return this.note('hook', `hook ${sig.name}`);
    if (sig.turnStart) this.cliTurnId = sig.turnId;
    else if (sig.turnId && this.cliTurnId && sig.turnId !== this.cliTurnId) return this.note('hook', `hook ${sig.name} (an earlier turn)`);
    this.apply('hook', `hook ${sig.name}`, {
      state: sig.state === 'exited' ? 'idle' : sig.state,
      ...(sig.reason ? { reason: sig.reason } : {}),
      ...(sig.turnStart ? { turnStart: true } : {}),
      ...(sig.onlyFromStarting ? { onlyFromStarting: true } : {}),
      ...(sig.text !== undefined ? { text: sig.text } : {}),
      ...(sig.promptText !== undefined ? { promptText: sig.promptText } : {}),
    });
  }

  data(chunk: Buffer, _offset: number, at: number): void {
    this.lastOutputAt = at;
    for (const signal of this.parser.push(chunk)) this.terminalSignal(signal);
    if (this.rules.screen.length > 0 || this.status.state === 'blocked') this.armScreen();
    this.armSilence();
  }

  input(): void {
    this.asserted = {};
    this.inputSinceIdle = true;
  }

  ended(): void {
    if (this.done) return;
    this.transition('process', 'process exited', { state: 'exited' });
    this.done = true;
    this.cancelScreen?.();
    this.cancelSilence?.();
    this.listeners.clear();
    this.onEnded();
  }

  private terminalSignal(signal: TerminalSignal): void {
    if (signal.kind === 'bel') {
      if (this.rules.bel) this.apply('osc', 'BEL', { state: this.rules.bel.state, ...(this.rules.bel.keep_blocked ? { keepBlocked: true } : {}) });
      return;
    }
    const { code, text } = signal;
    if (code === 0 || code === 2) {
      this.lastTitle = text;
      this.titleWaiter?.(text);
      const rule = firstMatch(this.rules.title, text);
      if (rule) this.apply('title', `title ${JSON.stringify(text.trim().slice(0, 80))}`, ruleProposal(rule));
      return;
    }
    if (code === this.rules.oscReply) this.oscReply = text;
    const rule = firstMatch(this.rules.osc.filter((r) => r.code === code), text);
    if (rule) this.apply('osc', `osc ${code} ${JSON.stringify(text.slice(0, 80))}`, { ...ruleProposal(rule), ...(rule.state === 'blocked' ? { promptText: text } : {}) });
  }

  private apply(source: Source, signal: string, p: Proposal): void {
    if (this.done) return;
    const now = this.session.clock.now();
    const cur = this.status.state;
    if (p.onlyFromStarting && cur !== 'starting') return;
    if (p.keepBlocked && cur === 'blocked' && p.state !== 'blocked') return;
    for (const [s, a] of Object.entries(this.asserted) as Array<[Source, { state: AgentState; at: number }]>) {
      if (s === 'hook' && !this.rules.hooksReport.has(p.state)) continue;
      if (RANK[s] < RANK[source] && now - a.at < AUTHORITY_MS && a.state !== p.state) {
        if (p.state !== cur) this.note(source, `${signal} (overruled by ${s})`);
        return;
      }
    }
    // A turn needs a cause: a prompt hook, or input since the agent was last idle.
    if (p.state === 'working' && (cur === 'idle' || cur === 'starting') && !p.turnStart && !this.inputSinceIdle) return;
    this.asserted[source] = { state: p.state, at: now };
    if (p.state === cur) {
      if (cur === 'blocked' && p.promptText && !this.status.prompt_text) this.status = { ...this.status, prompt_text: p.promptText };
      return;
    }
    this.transition(source, signal, p);
  }

  private transition(source: Source, signal: string, p: Proposal | { state: 'exited' }): void {
    const now = this.session.clock.now();
    const from = this.status.state;
    const to = p.state;
    let turn = this.status.turn;
    let completed: AgentTurn | null = null;
    if (to === 'working' && (from === 'idle' || from === 'starting')) {
      turn = { n: (turn?.n ?? 0) + 1, started_at: isoTime(now) };
      this.turnsThisRun++;
      this.oscReply = undefined;
      if (this.turnFrom <= 0 || this.turnFrom > this.session.cursor()) this.turnFrom = this.session.cursor();
    }
    if ((to === 'idle' || to === 'exited') && (from === 'working' || from === 'blocked') && turn && !turn.ended_at) {
      turn = { ...turn, ended_at: isoTime(now) };
      completed = turn;
    }
    if (to === 'idle') this.inputSinceIdle = false;
    const reason = 'reason' in p ? p.reason : undefined;
    this.status = {
      kind: this.kind,
      state: to,
      since: isoTime(now),
      source: source,
      ...(to === 'blocked' ? { reason: reason ?? 'permission' } : {}),
      ...(to === 'blocked' && 'promptText' in p && p.promptText ? { prompt_text: p.promptText } : {}),
      ...(turn ? { turn } : {}),
    };
    this.note(source, signal, from, to);
    this.session.update({ agent: this.status });
    this.session.publish('session.state_changed', {
      session_id: this.session.id,
      from,
      to,
      source: source,
      ...(to === 'blocked' ? { reason: this.status.reason } : {}),
    });
    this.emit({ type: 'state', status: this.status });
    if (to === 'blocked') publishWhenPainted(this);
    if (completed) void this.completeTurn(completed, 'text' in p ? p.text : undefined);
    if (to === 'working') this.denied = false;
  }

  private async completeTurn(turn: AgentTurn, hookText: string | undefined): Promise<void> {
    const to = this.session.cursor();
    const from = Math.min(this.turnFrom || to, to);
    let text = hookText;
    if (text === undefined && this.denied) text = '';
    if (text === undefined && this.oscReply !== undefined) text = this.oscReply;
    if (text === undefined) {
      try {
        await this.replyPainted();
        text = replyText(this.rules, (await this.session.screen()).lines);
      } catch {
        text = '';
      }
    }
    this.turnFrom = 0;
    this.session.publish('session.turn_completed', { session_id: this.session.id, turn, text });
    this.emit({ type: 'turn_completed', turn, text, output: { from, to } });
  }

  /** Waits for the rules' `after_title` (bounded): until then the screen may not show the reply. */
  private replyPainted(): Promise<void> {
    const want = this.rules.reply?.afterTitle;
    if (!want) return Promise.resolve();
    return new Promise((resolve) => {
      // The title that ended the turn may be the one that says the reply is painted.
      if (want.test(this.lastTitle)) return void setTimer(this.session.clock, resolve, 20);
      const done = (): void => {
        this.titleWaiter = null;
        cancel();
        // The title and the reply are painted together; let the chunk that carried it land.
        setTimer(this.session.clock, resolve, 20);
      };
      const cancel = setTimer(this.session.clock, done, this.rules.reply!.maxMs);
      this.titleWaiter = (title) => {
        if (want.test(title)) done();
      };
    });
  }

  private armScreen(): void {
    this.cancelScreen?.();
    this.cancelScreen = setTimer(this.session.clock, () => {
      this.cancelScreen = null;
      void this.matchScreenNow().catch((err) => this.logger.warn('agent screen rules failed', { error: err }));
    }, SCREEN_SETTLE_MS);
  }

  private async matchScreenNow(): Promise<void> {
    if (this.done || this.rules.screen.length === 0) return;
    const lines = (await this.session.screen()).lines;
    const hit = matchScreen(this.rules, lines);
    if (!hit) return;
    const p = ruleProposal(hit.rule);
    if (p.state === 'blocked') p.promptText = dialogText(lines, hit.rule, hit.line);
    this.apply('screen', `screen ${JSON.stringify(hit.rule.source.slice(0, 60))}`, p);
  }

  private armSilence(): void {
    this.cancelSilence?.();
    this.cancelSilence = setTimer(this.session.clock, () => this.checkSilence(), this.rules.silenceMs);
  }

  private checkSilence(): void {
    this.cancelSilence = null;
    const s = this.status.state;
    if (this.done || (s !== 'working' && s !== 'starting')) return;
    const now = this.session.clock.now();
    if (now - this.lastOutputAt < this.rules.silenceMs) return this.armSilence();
    // Only when nothing better spoke within the quiet window.
    const fresh = Object.values(this.asserted).some((a) => now - a.at < this.rules.silenceMs);
    if (!fresh) this.apply('silence', `no output for ${now - this.lastOutputAt} ms`, { state: 'idle' });
  }

  /** Adds one judgement to `explain` (bounded). */
  note(source: Source, signal: string, from = this.status.state, to = this.status.state): void {
    this.explain.push({ ts: isoTime(this.session.clock.now()), source: source, signal, from, to });
    if (this.explain.length > MAX_EXPLAIN) this.explain.splice(0, this.explain.length - MAX_EXPLAIN);
  }

  emit(e: DetectorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.warn('agent listener failed', { error: err });
      }
    }
  }
}

function ruleProposal(rule: { state: Proposal['state']; reason?: AgentBlockedReason; keep_blocked?: boolean }): Proposal {
  return { state: rule.state, ...(rule.reason ? { reason: rule.reason } : {}), ...(rule.keep_blocked ? { keepBlocked: true } : {}) };
}

