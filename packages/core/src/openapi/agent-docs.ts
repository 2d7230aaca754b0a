import type { OperationDoc } from './responses.js';
import { anyObject, int, list, object, ref, str, type JsonSchema } from './schema-kit.js';

const ts = (description: string): JsonSchema => ({ ...ref('Timestamp'), description });
const count = (description: string): JsonSchema => int(description, { minimum: 0 });
const NOT_AGENT_409 = 'The session is not running, or runs no agent';

/** The wire shapes of agent awareness (SPEC §17), as JSON Schemas. */
export const AGENT_SCHEMAS: Record<string, JsonSchema> = {
  AgentKind: { type: 'string', enum: ['claude', 'codex', 'gemini'] },
  AgentState: { type: 'string', enum: ['starting', 'working', 'idle', 'blocked', 'exited'] },
  AgentBlockedReason: { type: 'string', enum: ['permission', 'question', 'trust'] },
  AgentSource: { type: 'string', enum: ['hook', 'osc', 'title', 'screen', 'silence', 'process'], description: 'Most reliable first; process: the process exited' },
  AgentTurn: object(['n', 'started_at'], { n: int('Turn number, from 1', { minimum: 1 }), started_at: ts('When the agent started working'), ended_at: ts('When it was done') }),
  AgentStatus: object(['kind', 'state', 'since', 'source'], {
    kind: ref('AgentKind'),
    state: ref('AgentState'),
    since: ts('When it entered this state'),
    source: ref('AgentSource'),
    reason: ref('AgentBlockedReason'),
    prompt_text: str("The dialog's text while blocked"),
    turn: ref('AgentTurn'),
  }, 'Session.agent (SPEC §17); null for plain shells'),
  AgentJudgement: object(['ts', 'source', 'signal', 'from', 'to'], {
    ts: ts('When'),
    source: ref('AgentSource'),
    signal: str('e.g. hook Stop, osc 7501 "state=done"'),
    from: ref('AgentState'),
    to: ref('AgentState'),
  }),
  AgentReport: {
    allOf: [
      ref('AgentStatus'),
      object(['session_id', 'explain'], {
        session_id: str(),
        agent_session_id: str("The CLI's own conversation id (from its hooks)"),
        explain: list(ref('AgentJudgement'), 'The last 50 judgements, oldest first'),
      }),
    ],
  },
  PromptResult: object(['state', 'output'], {
    state: ref('AgentState'),
    turn: ref('AgentTurn'),
    text: str('The final assistant message (turn completed)'),
    output: object(['from', 'to'], { from: count('First byte of the turn'), to: count('Cursor when the call answered') }),
    reason: ref('AgentBlockedReason'),
    prompt_text: str('The dialog the turn stopped at'),
    timed_out: { const: true },
  }),
  PermissionResult: object(['decision', 'agent'], { decision: { type: 'string', enum: ['allow', 'deny'] }, agent: ref('AgentStatus') }),
  StateChangedEvent: object(['session_id', 'from', 'to', 'source'], { session_id: str(), from: ref('AgentState'), to: ref('AgentState'), source: ref('AgentSource'), reason: ref('AgentBlockedReason') }, 'session.state_changed'),
  BlockedEvent: object(['session_id', 'reason', 'prompt_text'], { session_id: str(), reason: ref('AgentBlockedReason'), prompt_text: str() }, 'session.blocked'),
  TurnCompletedEvent: object(['session_id', 'turn', 'text'], { session_id: str(), turn: ref('AgentTurn'), text: str() }, 'session.turn_completed'),
  IdleEvent: object(['session_id', 'idle_for_ms', 'origin', 'recent_output'], {
    session_id: str(),
    idle_for_ms: count('Quiet time'),
    origin: { type: 'string', enum: ['operator', 'integration'] },
    recent_output: str('The visible screen text, trailing blank lines trimmed (v2)'),
  }, 'session.idle'),
  PromptRequest: object(['text'], {
    text: str('Typed and submitted the way the CLI needs', { minLength: 1, maxLength: 100_000 }),
    wait: object([], {
      until: { type: 'string', enum: ['turn_completed', 'idle', 'none'], description: 'Default turn_completed' },
      timeout_ms: int('Default 300000', { minimum: 1, maximum: 3_600_000 }),
    }),
  }),
  PermissionRequest: object(['decision'], { decision: { type: 'string', enum: ['allow', 'deny'] } }),
  AgentHookPayload: anyObject("The agent CLI's hook JSON (validated and bounded by the gateway)"),
};

/** The agent routes (SPEC §17), keyed like `OPERATIONS`. */
export const AGENT_OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  'POST /sessions/{id}/agent-events': {
    id: 'agentEvents',
    request: 'AgentHookPayload',
    query: { event: { schema: { type: 'string', pattern: '^[A-Za-z][A-Za-z_-]{0,63}$' }, description: 'The hook event (else the payload\'s hook_event_name)' } },
    responses: { 200: { body: 'AgentHookPayload', description: 'Accepted ({})' } },
    errors: { 401: "Not this session's hook token (it dies with the process)", 429: 'Too many hook calls from this session' },
    description: "Called by the hooks the gateway injected at spawn, with that session's own bearer token; no other credential is accepted here and that token is accepted nowhere else.",
  },
  'GET /sessions/{id}/agent': { id: 'agent', responses: { 200: 'AgentReport' }, errors: { 404: 'No such session, or it runs a plain command' } },
  'POST /sessions/{id}/prompt': {
    id: 'prompt',
    request: 'PromptRequest',
    responses: { 200: 'PromptResult' },
    errors: { 409: `agent_busy (working), agent_blocked (a dialog is up; the message has its text), or: ${NOT_AGENT_409}` },
  },
  'POST /sessions/{id}/permission': {
    id: 'permission',
    request: 'PermissionRequest',
    responses: { 200: 'PermissionResult' },
    errors: { 409: `No dialog is up, or: ${NOT_AGENT_409}` },
  },
};
