import type { JSX } from 'preact';
import type { Integration, SessionState } from '@opendray/sdk';
import type { AgentState, ConsoleSession } from '../state/agent.js';
import { Badge, type Tone } from '../ui/kit.js';

const STATE_TONE: Record<SessionState, Tone> = { running: 'ok', idle: 'info', stopped: 'muted', ended: 'muted', interrupted: 'warn' };

export function StateBadge({ state }: { state: SessionState }): JSX.Element {
  return <Badge tone={STATE_TONE[state] ?? 'muted'}>{state}</Badge>;
}

const AGENT_TONE: Record<string, Tone> = { starting: 'info', working: 'accent', idle: 'ok', blocked: 'bad', exited: 'muted' };

/** The agent's state and the signal that told it (SPEC §17), or a dash for plain shells. */
export function AgentBadge({ agent }: { agent: AgentState | null | undefined }): JSX.Element {
  if (!agent || typeof agent.state !== 'string') return <span class="muted">—</span>;
  const label = agent.state === 'blocked' && agent.reason ? `blocked: ${agent.reason}` : agent.state;
  return (
    <span class="agent-cell">
      <Badge tone={AGENT_TONE[agent.state] ?? 'muted'}>{label}</Badge>
      <span class="muted small" title="How the gateway knows">via {agent.source}</span>
    </span>
  );
}

/** Who started the session: the operator, or the integration by name. */
export function ownerOf(session: ConsoleSession, integrations: ReadonlyMap<string, Integration>): string {
  if (session.origin === 'operator' || !session.integration_id) return 'operator';
  return integrations.get(session.integration_id)?.name ?? session.integration_id;
}

export const isLive = (s: { state: SessionState }): boolean => s.state === 'running' || s.state === 'idle';
