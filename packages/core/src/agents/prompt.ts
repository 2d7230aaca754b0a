import type { AgentStatus, PromptResult } from '@opendray/sdk/wire';
import { setTimer, type Clock } from '../clock.js';
import { badRequest, conflict, GatewayError } from '../errors.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { AgentDetector, DetectorEvent } from './detector.js';

const MAX_TEXT = 100_000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_TIMEOUT_MS = 3_600_000;
/** Codex and Gemini take `text\r` in one write for a paste: Enter goes ≥ 20 ms later (AGENT-CLIS.md). */
export const PROMPT_SUBMIT_DELAY_MS = 60;
/** A session still starting gets this long to show its prompt before the text is typed. */
const READY_WAIT_MS = 60_000;
const RESUBMIT_AFTER_MS = 1_500;
const RESUBMIT_TRIES = 3;

export interface PromptParams {
  text: string;
  until: 'turn_completed' | 'idle' | 'none';
  timeoutMs: number;
}

/** Validates a `POST /sessions/{id}/prompt` body (SPEC §17); 400 naming the field. */
export function parsePrompt(body: unknown): PromptParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body: must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.text !== 'string' || b.text.trim() === '' || b.text.length > MAX_TEXT) throw badRequest(`text: must be a non-empty string of at most ${MAX_TEXT} characters`);
  if (LONE_SURROGATE.test(b.text)) throw badRequest('text: must be valid UTF-8 (contains a lone surrogate)');
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(b.text.replace(/\r\n?/g, '\n'))) throw badRequest('text: must not contain control characters (send keys with /input)');
  const wait = b.wait ?? {};
  if (typeof wait !== 'object' || wait === null || Array.isArray(wait)) throw badRequest('wait: must be an object');
  const w = wait as Record<string, unknown>;
  const until = w.until ?? 'turn_completed';
  if (until !== 'turn_completed' && until !== 'idle' && until !== 'none') throw badRequest('wait.until: must be turn_completed, idle or none');
  const timeoutMs = w.timeout_ms ?? 300_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw badRequest(`wait.timeout_ms: must be an integer 1–${MAX_TIMEOUT_MS}`);
  }
  return { text: b.text.replace(/\r\n?/g, '\n'), until, timeoutMs };
}

export interface PromptDeps {
  manager: SessionManager;
  clock: Clock;
  cursorOf(id: string): number;
}

/**
 * Prompt-and-wait (SPEC §17): refuses while the agent works (409 agent_busy) or shows a
 * dialog (409 agent_blocked, with its text); waits for a starting agent to be ready; types
 * the text (a multi-line text as one bracketed paste) and submits it after a pause; then
 * waits as asked. Returns at once when the turn stops at a dialog, and at the deadline with
 * `timed_out: true`. `signal` ends the wait early (the caller went away).
 */
export async function promptAndWait(
  deps: PromptDeps,
  id: string,
  detector: AgentDetector,
  busy: Set<string>,
  params: PromptParams,
  signal: AbortSignal,
): Promise<PromptResult> {
  const deadline = deps.clock.now() + params.timeoutMs;
  refuseIfBusy(detector.status, busy.has(id));
  busy.add(id);
  try {
    if (detector.status.state === 'starting') {
      const ready = await waitFor(deps.clock, detector, (e) => e.type === 'state' && e.status.state !== 'starting', Math.min(READY_WAIT_MS, params.timeoutMs), signal);
      if (!ready) return result(detector.status, deps.cursorOf(id), deps.cursorOf(id), { timed_out: true });
      refuseIfBusy(detector.status, false);
    }
    // A CLI that flickers between idle and working while it starts must settle first.
    for (let wait = detector.readyWaitMs(); wait > 0 && deps.clock.now() + wait < deadline; wait = detector.readyWaitMs()) {
      await new Promise((r) => setTimer(deps.clock, () => r(undefined), wait));
    }
    refuseIfBusy(detector.status, false);
    const n0 = detector.status.turn?.n ?? 0;
    const from = deps.cursorOf(id);
    detector.markPrompt(from);
    // Listen before typing: a fast agent may finish before the typing call returns.
    const outcome = waitFor(
      deps.clock,
      detector,
      (e) => {
        if (params.until === 'none') return false;
        if (e.type === 'turn_completed') return e.turn.n > n0;
        if (e.type === 'blocked') return (e.status.turn?.n ?? 0) > n0;
        if (e.type === 'state') {
          if (e.status.state === 'exited') return true;
          if (params.until === 'idle') return e.status.state === 'idle' && (e.status.turn?.n ?? 0) > n0;
        }
        return false;
      },
      Math.max(1, deadline - deps.clock.now()),
      signal,
    );
    await typePrompt(deps.manager, id, params.text);
    await resubmitIfIgnored(deps, id, detector, signal, deadline);
    if (params.until === 'none') return result(detector.status, from, deps.cursorOf(id));
    const event = await outcome;
    const to = deps.cursorOf(id);
    if (!event) return result(detector.status, from, to, { timed_out: true });
    if (event.type === 'turn_completed') return { state: detector.status.state === 'working' ? 'idle' : detector.status.state, turn: event.turn, text: event.text, output: event.output };
    return result(event.status, from, to);
  } finally {
    busy.delete(id);
  }
}

function refuseIfBusy(status: AgentStatus, typing: boolean): void {
  if (status.state === 'exited') throw conflict('session is not running');
  if (status.state === 'working' || typing) throw new GatewayError('agent_busy', 'the agent is working on a turn');
  if (status.state === 'blocked') {
    throw new GatewayError('agent_blocked', `the agent is waiting at a dialog (${status.reason ?? 'permission'}): ${(status.prompt_text ?? '').slice(0, 2000)}`);
  }
}

function result(status: AgentStatus, from: number, to: number, extra: Partial<PromptResult> = {}): PromptResult {
  return {
    state: status.state,
    ...(status.turn ? { turn: status.turn } : {}),
    output: { from, to },
    ...(status.state === 'blocked' ? { reason: status.reason ?? 'permission', prompt_text: status.prompt_text ?? '' } : {}),
    ...extra,
  };
}

/** Types the prompt the way agent TUIs accept it, then the submit key after a pause. */
async function typePrompt(manager: SessionManager, id: string, text: string): Promise<void> {
  if (!text.includes('\n')) return manager.input(id, { text });
  await manager.input(id, { data: `\x1b[200~${text}\x1b[201~` });
  await new Promise((r) => setTimeout(r, PROMPT_SUBMIT_DELAY_MS));
  await manager.input(id, { keys: ['Enter'] });
}

/**
 * A TUI that is still settling after start-up may take the text but drop the Enter (Gemini
 * does): when no turn started after a while and the agent is still idle, Enter again.
 */
async function resubmitIfIgnored(deps: PromptDeps, id: string, detector: AgentDetector, signal: AbortSignal, deadline: number): Promise<void> {
  for (let i = 0; i < RESUBMIT_TRIES; i++) {
    const left = deadline - deps.clock.now();
    if (detector.status.state !== 'idle' || left <= RESUBMIT_AFTER_MS) return;
    const started = await waitFor(deps.clock, detector, (e) => e.type === 'state' && e.status.state !== 'idle', RESUBMIT_AFTER_MS, signal);
    if (started || signal.aborted || detector.status.state !== 'idle') return;
    await deps.manager.input(id, { keys: ['Enter'] });
  }
}

/** Resolves with the first event `accept` takes, or null at the timeout or abort. */
function waitFor(clock: Clock, detector: AgentDetector, accept: (e: DetectorEvent) => boolean, ms: number, signal: AbortSignal): Promise<DetectorEvent | null> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (e: DetectorEvent | null): void => {
      if (settled) return;
      settled = true;
      off();
      cancel();
      signal.removeEventListener('abort', onAbort);
      resolve(e);
    };
    const onAbort = (): void => finish(null);
    const off = detector.on((e) => {
      if (accept(e)) finish(e);
    });
    const cancel = setTimer(clock, () => finish(null), ms);
    if (signal.aborted) finish(null);
    else signal.addEventListener('abort', onAbort);
  });
}
