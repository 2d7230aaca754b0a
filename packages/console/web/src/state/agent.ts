import type { Session, Timestamp } from '@opendray/sdk';

/**
 * Agent awareness as SPEC §17 describes it (issue #14). The SDK has no types for it yet,
 * so they live here; every field is read defensively, and the agent panel is shown only
 * when a session carries an `agent` object.
 */
export type AgentStateName = 'starting' | 'working' | 'idle' | 'blocked' | 'exited';
export type AgentSource = 'hook' | 'osc' | 'title' | 'screen' | 'silence' | 'process';
export type BlockedReason = 'permission' | 'question' | 'trust';

export interface AgentTurn {
  n: number;
  started_at: Timestamp;
  ended_at?: Timestamp;
}

export interface AgentState {
  state: AgentStateName;
  since: Timestamp;
  source: AgentSource;
  reason?: BlockedReason;
  turn?: AgentTurn;
}

/** `GET /sessions/{id}/agent`: the state and why the gateway believes it. */
export interface AgentExplained extends AgentState {
  explain?: Array<{ ts: Timestamp; source: string; signal: string; from: string; to: string }>;
}

/** `POST /sessions/{id}/prompt` answers. */
export interface PromptResult {
  state: AgentStateName;
  turn?: AgentTurn;
  text?: string;
  reason?: BlockedReason;
  prompt_text?: string;
  timed_out?: boolean;
  output?: { from: number; to: number };
}

/** A session as the console reads it: maybe with SPEC §17's `agent` (null for shells). */
export type ConsoleSession = Session & { agent?: AgentState | null };

/** What events told us about a session's agent beyond its JSON. */
export interface AgentNotes {
  lastReply?: { text: string; turn?: number; at: Timestamp };
  blocked?: { reason: string; prompt_text: string; at: Timestamp };
}

export const hasAgent = (s: ConsoleSession): s is ConsoleSession & { agent: AgentState } =>
  typeof s.agent === 'object' && s.agent !== null && typeof s.agent.state === 'string';
