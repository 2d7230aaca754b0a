import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isOpendrayError, type AgentReport, type PromptResult } from '@opendray/sdk';
import { answerable, type AgentNotes, type AgentSession } from '../state/agent.js';
import { client } from '../state/auth.js';
import { refreshSession } from '../state/live.js';
import { formatClock } from '../format.js';
import { Badge, Button, ErrorText } from '../ui/kit.js';
import { AGENT_TONE, agentLabel } from './session-badges.js';

/**
 * The agent panel (SPEC §17): what the agent is doing and why the gateway thinks so, the
 * last turn's reply, a prompt box that waits for the turn to end, and Allow / Deny with the
 * dialog's text while a permission dialog is up.
 */
export function AgentPanel({ session, notes }: { session: AgentSession; notes: AgentNotes | undefined }): JSX.Element {
  const agent = session.agent;
  const [text, setText] = useState('');
  const [pending, setPending] = useState(false);
  const [deciding, setDeciding] = useState<'allow' | 'deny' | null>(null);
  const [result, setResult] = useState<PromptResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<AgentReport | null>(null);

  useEffect(() => {
    client.agent(session.id).then(setReport, () => setReport(null));
  }, [session.id, agent.state, agent.since]);

  const blocked = agent.state === 'blocked';
  const canSend = text.trim() !== '' && !pending && !blocked && agent.state !== 'exited';

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!canSend) return; // Ctrl+Enter reaches here even while the button is off
    setPending(true);
    setError(null);
    try {
      // Answers when the turn ends, or at once when it stops at a dialog (then the panel shows it).
      const sent = text;
      setResult(await client.prompt(session.id, sent, { wait: { until: 'turn_completed' } }));
      setText((now) => (now === sent ? '' : now)); // keep what was typed meanwhile
    } catch (err) {
      setError(isOpendrayError(err) && err.status === 409 ? new Error(busyMessage(err)) : err);
    } finally {
      setPending(false);
      void refreshSession(session.id);
    }
  };

  const decide = async (decision: 'allow' | 'deny'): Promise<void> => {
    setDeciding(decision);
    setError(null);
    try {
      // The keys were sent; the state (and the turn's reply) follow as events.
      await client.permission(session.id, decision);
    } catch (err) {
      setError(err);
    } finally {
      setDeciding(null);
      void refreshSession(session.id);
    }
  };

  const reply = newestReply(result, notes);
  // The turn's reply may arrive before the session's JSON says the turn ended.
  const working = agent.state === 'working' && agent.turn !== undefined && (reply?.turn ?? 0) < agent.turn.n;
  const explain = report?.explain ?? [];
  return (
    <aside class="agent-panel" aria-labelledby="agent-title">
      <h2 id="agent-title">Agent</h2>
      <div class="agent-state">
        <Badge tone={AGENT_TONE[agent.state] ?? 'muted'}>{agentLabel(agent)}</Badge>
        <span class="muted small">via {agent.source}{agent.turn ? ` · turn ${agent.turn.n}` : ''} · since {formatClock(agent.since)}</span>
      </div>

      {blocked ? (
        <div class="agent-blocked" role="alert">
          <p class="agent-label">Waiting for you</p>
          {agent.prompt_text ? <pre class="agent-text">{agent.prompt_text}</pre> : <p class="muted">A dialog is up in the terminal.</p>}
          {answerable(agent) ? (
            <div class="row">
              <Button variant="primary" busy={deciding === 'allow'} disabled={deciding !== null} onClick={() => decide('allow')}>Allow</Button>
              <Button variant="danger" busy={deciding === 'deny'} disabled={deciding !== null} onClick={() => decide('deny')}>Deny</Button>
            </div>
          ) : (
            <p class="muted">Answer it in the terminal.</p>
          )}
        </div>
      ) : null}

      <div class="agent-reply">
        <p class="agent-label">
          {working ? `Working on turn ${agent.turn?.n}…` : reply ? `Reply to turn ${reply.turn}` : 'Last reply'}
        </p>
        {result?.timed_out ? <p class="muted small">Stopped waiting at the deadline; the reply shows here when the turn ends.</p> : null}
        {!reply ? <p class="muted">Nothing yet.</p> : reply.text ? <pre class="agent-text">{reply.text}</pre> : <p class="muted">The turn ended without a reply.</p>}
      </div>

      <form class="agent-prompt" onSubmit={send}>
        <label for="agent-prompt-text">Prompt</label>
        <textarea
          id="agent-prompt-text"
          rows={3}
          value={text}
          placeholder={agent.state === 'working' ? 'The agent is working…' : 'Ask the agent; Ctrl+Enter sends'}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
          }}
        />
        <ErrorText error={error} />
        <Button type="submit" variant="primary" busy={pending} disabled={!canSend}>
          {pending ? 'Waiting for the turn…' : 'Send and wait'}
        </Button>
      </form>

      {explain.length ? (
        <details class="agent-explain">
          <summary>Why the gateway thinks so</summary>
          <ol>
            {explain.slice(-10).reverse().map((j, i) => (
              <li key={i}>
                <span class="mono small">{formatClock(j.ts)}</span> {j.from} → {j.to} <span class="muted">({j.source}: {j.signal})</span>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </aside>
  );
}

/** The later of the prompt's answer and the last `session.turn_completed` (a turn may end after Allow, with no call waiting). */
function newestReply(result: PromptResult | null, notes: AgentNotes | undefined): { text: string; turn: number } | undefined {
  const answered = result?.text !== undefined && result.turn ? { text: result.text, turn: result.turn.n } : undefined;
  const heard = notes?.lastReply;
  if (!answered) return heard;
  return heard && heard.turn > answered.turn ? heard : answered;
}

/** 409s of `POST /prompt` in words; `agent_blocked`'s message carries the dialog's text. */
function busyMessage(err: { code: string; message: string }): string {
  if (err.code === 'agent_busy') return 'The agent is still working on a turn.';
  if (err.code === 'agent_blocked') return 'The agent is waiting at a dialog: answer it first.';
  return err.message || 'The session is not running.';
}
