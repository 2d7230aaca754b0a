import type { AgentStatus, Session, Timestamp } from '@opendray/sdk';

/**
 * What the events told about a session's agent that its JSON does not carry: the final
 * reply of the last turn (`session.turn_completed`, SPEC §17). The state, the dialog's
 * text and the turn are in `Session.agent` itself.
 */
export interface AgentNotes {
  lastReply?: { text: string; turn: number; at: Timestamp };
}

/** A session whose provider is an agent CLI (`agent` is null for plain shells). */
export type AgentSession = Session & { agent: AgentStatus };

export const hasAgent = (s: Session): s is AgentSession => s.agent !== null && s.agent !== undefined;

/** Dialogs a yes/no answers (`POST /permission`); a `question` is answered in the terminal. */
export const answerable = (agent: AgentStatus): boolean => agent.state === 'blocked' && agent.reason !== 'question';
