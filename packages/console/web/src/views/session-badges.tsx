import type { JSX } from 'preact';
import type { AgentState, AgentStatus, Integration, Session, SessionState } from '@opendray/sdk';
import { Badge, type Tone } from '../ui/kit.js';

const STATE_TONE: Record<SessionState, Tone> = { running: 'ok', idle: 'info', stopped: 'muted', ended: 'muted', interrupted: 'warn' };

export function StateBadge({ state }: { state: SessionState }): JSX.Element {
  return <Badge tone={STATE_TONE[state] ?? 'muted'}>{state}</Badge>;
}

export const AGENT_TONE: Record<AgentState, Tone> = { starting: 'info', working: 'accent', idle: 'ok', blocked: 'bad', exited: 'muted' };

/** `blocked: permission` while a dialog is up, else the state (SPEC §17). */
export const agentLabel = (agent: AgentStatus): string => (agent.state === 'blocked' && agent.reason ? `blocked: ${agent.reason}` : agent.state);

/** The agent's state and the signal that told it (SPEC §17), or a dash for plain shells. */
export function AgentBadge({ agent }: { agent: AgentStatus | null | undefined }): JSX.Element {
  if (!agent) return <span class="muted">—</span>;
  return (
    <span class="agent-cell">
      <Badge tone={AGENT_TONE[agent.state] ?? 'muted'}>{agentLabel(agent)}</Badge>
      <span class="muted small" title="How the gateway knows">via {agent.source}</span>
    </span>
  );
}

/** Who started the session: the operator, or the integration by name. */
export function ownerOf(session: Session, integrations: ReadonlyMap<string, Integration>): string {
  if (session.origin === 'operator' || !session.integration_id) return 'operator';
  return integrations.get(session.integration_id)?.name ?? session.integration_id;
}

export const isLive = (s: { state: SessionState }): boolean => s.state === 'running' || s.state === 'idle';
