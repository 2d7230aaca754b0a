import type { AgentStatus } from '@opendray/sdk/wire';
import { setTimer } from '../clock.js';
import type { AgentDetector } from './detector.js';
import { dialogText, matchScreen } from './screen-regions.js';

/** A dialog's text is read from the screen this long after `blocked` (the dialog paints). */
const BLOCKED_SETTLE_MS = 150;
/** The longest wait for a dialog to paint before its hook's text is used instead. */
const BLOCKED_MAX_MS = 1_500;
const RESEND_AFTER_MS = 700;
const RESENDS = 3;

/**
 * Reads the dialog's text once it painted (polled up to `BLOCKED_MAX_MS`: a CLI may paint
 * it after a synchronous hook), then publishes `session.blocked` (SPEC §17).
 */
export function publishWhenPainted(d: AgentDetector): void {
  const at = d.status.since;
  const still = (): boolean => d.status.state === 'blocked' && d.status.since === at && !d.done;
  const attempt = (waited: number): void => {
    setTimer(d.session.clock, () => {
      void (async () => {
        if (!still()) return;
        const lines = (await d.session.screen()).lines;
        const hit = matchScreen(d.rules, lines);
        const fromScreen = hit && hit.rule.state === 'blocked' ? dialogText(lines, hit.rule, hit.line) : '';
        if (!still()) return;
        if (!fromScreen && waited + BLOCKED_SETTLE_MS < BLOCKED_MAX_MS && d.rules.screen.some((r) => r.state === 'blocked')) {
          return attempt(waited + BLOCKED_SETTLE_MS);
        }
        const prompt_text = fromScreen || d.status.prompt_text || '';
        const status: AgentStatus = { ...d.status, prompt_text };
        d.status = status;
        d.session.update({ agent: status });
        d.session.publish('session.blocked', { session_id: d.session.id, reason: status.reason ?? 'permission', prompt_text });
        d.emit({ type: 'blocked', status });
      })().catch((err) => d.logger.warn('agent blocked text failed', { error: err }));
    }, BLOCKED_SETTLE_MS);
  };
  attempt(0);
}

/**
 * Answers the dialog that is up with the CLI's keys (SPEC §17), once it has been up for
 * the rules' `settle_ms` (Codex ignores keys right after a dialog opens). A key a dialog
 * swallowed is sent again while the same dialog is still on screen, at most `RESENDS`
 * times. Resolves after the first send; false when the dialog went away meanwhile.
 */
export async function answerDialog(d: AgentDetector, decision: 'allow' | 'deny', write: (keys: string) => void): Promise<boolean> {
  const since = d.status.since;
  const still = (): boolean => d.status.state === 'blocked' && d.status.since === since && !d.done;
  const wait = (ms: number): Promise<void> => new Promise((r) => setTimer(d.session.clock, r, ms));
  const age = d.session.clock.now() - Date.parse(since);
  if (age < d.rules.permission.settleMs) await wait(d.rules.permission.settleMs - age);
  if (!still()) return false;
  const keys = d.rules.permission[decision];
  d.markDecision(decision);
  write(keys);
  void (async () => {
    for (let i = 0; i < RESENDS; i++) {
      await wait(RESEND_AFTER_MS);
      if (!still()) return;
      const hit = matchScreen(d.rules, (await d.session.screen()).lines);
      if (!still() || hit?.rule.state !== 'blocked') return;
      d.note('screen', `dialog still up: ${decision} sent again`);
      write(keys);
    }
  })().catch((err) => d.logger.warn('agent permission retry failed', { error: err }));
  return true;
}
