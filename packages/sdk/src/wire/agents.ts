import { AnyObject, at, count, named, T, type Static } from './kit.js';

/** The agent CLIs the gateway knows the signals of (SPEC §17). */
export const AgentKind = named('AgentKind', T.Union([T.Literal('claude'), T.Literal('codex'), T.Literal('gemini')]));
export type AgentKind = Static<typeof AgentKind>;
export const AgentState = named(
  'AgentState',
  T.Union([T.Literal('starting'), T.Literal('working'), T.Literal('idle'), T.Literal('blocked'), T.Literal('exited')]),
);
export type AgentState = Static<typeof AgentState>;
export const AgentBlockedReason = named('AgentBlockedReason', T.Union([T.Literal('permission'), T.Literal('question'), T.Literal('trust')]));
export type AgentBlockedReason = Static<typeof AgentBlockedReason>;
/** Where a judgement came from, most reliable first (SPEC §17); `process`: the process exited. */
export const AgentSource = named(
  'AgentSource',
  T.Union([T.Literal('hook'), T.Literal('osc'), T.Literal('title'), T.Literal('screen'), T.Literal('silence'), T.Literal('process')]),
);
export type AgentSource = Static<typeof AgentSource>;

/** One turn: a prompt and everything the agent did until it was done. */
export const AgentTurn = named(
  'AgentTurn',
  T.Object({ n: T.Integer({ minimum: 1 }), started_at: at('When the agent started working'), ended_at: T.Optional(at('When it was done')) }),
);
export type AgentTurn = Static<typeof AgentTurn>;

/** `Session.agent` (SPEC §17); null for plain shells. */
export const AgentStatus = named(
  'AgentStatus',
  T.Object(
    {
      kind: AgentKind,
      state: AgentState,
      since: at('When it entered this state'),
      source: AgentSource,
      reason: T.Optional(AgentBlockedReason),
      prompt_text: T.Optional(T.String({ description: "The dialog's text while blocked" })),
      turn: T.Optional(AgentTurn),
    },
    { description: 'What the agent is doing (SPEC §17)' },
  ),
);
export type AgentStatus = Static<typeof AgentStatus>;

/** One entry of `explain`: why the gateway believes what it believes. */
export const AgentJudgement = named(
  'AgentJudgement',
  T.Object({ ts: at('When'), source: AgentSource, signal: T.String({ description: 'e.g. hook Stop, osc 7501 "state=done"' }), from: AgentState, to: AgentState }),
);
export type AgentJudgement = Static<typeof AgentJudgement>;

/** `GET /sessions/{id}/agent`. */
export const AgentReport = named(
  'AgentReport',
  T.Intersect([
    AgentStatus,
    T.Object({
      session_id: T.String(),
      agent_session_id: T.Optional(T.String({ description: "The CLI's own conversation id (from its hooks)" })),
      explain: T.Array(AgentJudgement, { description: 'The last 50 judgements, oldest first' }),
    }),
  ]),
);
export type AgentReport = Static<typeof AgentReport>;

/** `POST /sessions/{id}/prompt` (the handler also refuses control characters and lone surrogates). */
export const PromptRequest = named(
  'PromptRequest',
  T.Object({
    text: T.String({ minLength: 1, maxLength: 100_000, description: 'Typed and submitted the way the CLI needs' }),
    wait: T.Optional(
      T.Object({
        until: T.Optional(T.Union([T.Literal('turn_completed'), T.Literal('idle'), T.Literal('none')], { description: 'Default turn_completed' })),
        timeout_ms: T.Optional(T.Integer({ minimum: 1, maximum: 3_600_000, description: 'Default 300000' })),
      }),
    ),
  }),
);
export type PromptRequest = Static<typeof PromptRequest>;

/** The answer of `POST /sessions/{id}/prompt`. */
export const PromptResult = named(
  'PromptResult',
  T.Object({
    state: AgentState,
    turn: T.Optional(AgentTurn),
    text: T.Optional(T.String({ description: 'The final assistant message of the turn' })),
    output: T.Object({ from: count('First byte of the turn'), to: count('Cursor when the call answered') }),
    reason: T.Optional(AgentBlockedReason),
    prompt_text: T.Optional(T.String({ description: 'The dialog the turn stopped at' })),
    timed_out: T.Optional(T.Literal(true)),
  }),
);
export type PromptResult = Static<typeof PromptResult>;

/** `POST /sessions/{id}/permission`. */
export const PermissionRequest = named('PermissionRequest', T.Object({ decision: T.Union([T.Literal('allow'), T.Literal('deny')]) }));
export type PermissionRequest = Static<typeof PermissionRequest>;
/** The keys were sent; the state follows. */
export const PermissionResult = named('PermissionResult', T.Object({ decision: T.Union([T.Literal('allow'), T.Literal('deny')]), agent: AgentStatus }));
export type PermissionResult = Static<typeof PermissionResult>;

/** The hook JSON an agent CLI posts (validated and bounded by the gateway). */
export const AgentHookPayload = named('AgentHookPayload', AnyObject("The agent CLI's hook JSON"));
export type AgentHookPayload = Static<typeof AgentHookPayload>;
export const AgentEventsQuery = T.Object({ event: T.Optional(T.String({ pattern: '^[A-Za-z][A-Za-z_-]{0,63}$', description: "The hook event (else the payload's hook_event_name)" })) });
