import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isOpendrayError } from '@opendray/sdk';
import type { AgentExplained, AgentNotes, AgentState, ConsoleSession, PromptResult } from '../state/agent.js';
import { client } from '../state/auth.js';
import { refreshSession } from '../state/live.js';
import { formatClock } from '../format.js';
import { Badge, Button, ErrorText, type Tone } from '../ui/kit.js';

const TONE: Record<string, Tone> = { starting: 'info', working: 'accent', idle: 'ok', blocked: 'bad', exited: 'muted' };

/**
 * The agent panel (SPEC §17; the routes come with issue #14): what the agent is doing and
 * why the gateway thinks so, its last reply, a prompt box that waits for the turn to end,
 * and Allow / Deny while a permission dialog is up.
 */
export function AgentPanel({ session, notes }: { session: ConsoleSession & { agent: AgentState }; notes: AgentNotes | undefined }): JSX.Element {
  const agent = session.agent;
  const [text, setText] = useState('');
  const [pending, setPending] = useState(false);
  const [deciding, setDeciding] = useState<'allow' | 'deny' | null>(null);
  const [result, setResult] = useState<PromptResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [explain, setExplain] = useState<AgentExplained | null>(null);

  useEffect(() => {
    client.apiCall<AgentExplained>(`/sessions/${encodeURIComponent(session.id)}/agent`).then(setExplain, () => setExplain(null));
  }, [session.id, agent.state]);

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!text.trim()) return;
    setPending(true);
    setError(null);
    try {
      const res = await client.apiCall<PromptResult>(`/sessions/${encodeURIComponent(session.id)}/prompt`, {
        method: 'POST',
        body: { text, wait: { until: 'turn_completed' } },
        timeoutMs: 310_000,
      });
      setResult(res);
      setText('');
    } catch (err) {
      setError(isOpendrayError(err) && err.status === 409 ? new Error(busyMessage(err.body)) : err);
    } finally {
      setPending(false);
      void refreshSession(session.id);
    }
  };

  const decide = async (decision: 'allow' | 'deny'): Promise<void> => {
    setDeciding(decision);
    setError(null);
    try {
      await client.apiCall(`/sessions/${encodeURIComponent(session.id)}/permission`, { method: 'POST', body: { decision } });
    } catch (err) {
      setError(err);
    } finally {
      setDeciding(null);
      void refreshSession(session.id);
    }
  };

  const blocked = agent.state === 'blocked';
  const blockedText = notes?.blocked?.prompt_text ?? (result?.state === 'blocked' ? result.prompt_text : undefined);
  const reply = result?.text ?? notes?.lastReply?.text;
  return (
    <aside class="agent-panel" aria-labelledby="agent-title">
      <h2 id="agent-title">Agent</h2>
      <div class="agent-state">
        <Badge tone={TONE[agent.state] ?? 'muted'}>{blocked && agent.reason ? `blocked: ${agent.reason}` : agent.state}</Badge>
        <span class="muted small">via {agent.source}{agent.turn ? ` · turn ${agent.turn.n}` : ''} · since {formatClock(agent.since)}</span>
      </div>

      {blocked ? (
        <div class="agent-blocked" role="alert">
          <p class="agent-label">Waiting for you</p>
          {blockedText ? <pre class="agent-text">{blockedText}</pre> : <p class="muted">A dialog is up in the terminal.</p>}
          {agent.reason === 'permission' || !agent.reason ? (
            <div class="row">
              <Button variant="primary" busy={deciding === 'allow'} onClick={() => decide('allow')}>Allow</Button>
              <Button variant="danger" busy={deciding === 'deny'} onClick={() => decide('deny')}>Deny</Button>
            </div>
          ) : null}
        </div>
      ) : null}

      <div class="agent-reply">
        <p class="agent-label">Last reply{result?.timed_out ? ' (still working: timed out waiting)' : ''}</p>
        {reply ? <pre class="agent-text">{reply}</pre> : <p class="muted">Nothing yet.</p>}
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
        <Button type="submit" variant="primary" busy={pending} disabled={!text.trim() || blocked}>
          {pending ? 'Waiting for the turn…' : 'Send and wait'}
        </Button>
      </form>

      {explain?.explain?.length ? (
        <details class="agent-explain">
          <summary>Why the gateway thinks so</summary>
          <ol>
            {explain.explain.slice(-10).reverse().map((j, i) => (
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

function busyMessage(body: unknown): string {
  const b = (body ?? {}) as { code?: string; error?: string; prompt_text?: string };
  if (b.code === 'agent_busy') return 'The agent is still working on a turn.';
  if (b.code === 'agent_blocked') return `The agent is waiting on a dialog${b.prompt_text ? `: ${b.prompt_text}` : ''}.`;
  return b.error ?? 'The session is not running.';
}
