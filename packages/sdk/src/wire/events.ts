import { AnyObject, at, count, named, T, type Static, type TSchema } from './kit.js';
import { HealthStatusSchema } from './integrations.js';
import { ScopeSchema } from './scopes.js';
import { AgentBlockedReason, AgentSource, AgentState, AgentTurn } from './agents.js';

const sessionId = T.String({ description: 'The session' });
const integrationId = T.String({ description: 'The integration' });
const channelId = T.String({ description: 'The channel' });
const EndState = T.Union([T.Literal('ended'), T.Literal('stopped'), T.Literal('interrupted')]);
const Origin = T.Union([T.Literal('operator'), T.Literal('integration')], { description: 'Who created the session' });

/**
 * The end of a session (SPEC §5.7, §16): published as `session.ended` (the process exited
 * by itself), `session.stopped` (stop or delete) or `session.interrupted` (the gateway
 * shut down while it ran), after its last output byte.
 */
const SessionEnd = (name: string, state: string) =>
  named(
    name,
    T.Object(
      {
        session_id: sessionId,
        exit_code: T.Union([T.Integer(), T.Null()], { description: '128 + the signal number when a signal killed it' }),
        signal: T.Optional(T.String()),
        state: EndState,
        ended_at: at('When it ended'),
        origin: Origin,
        cursor: count('Final cursor (bytes_out)'),
      },
      { description: `The session ${state}` },
    ),
  );

const KeyRotated = (name: string) => named(name, T.Object({ integration_id: integrationId, name: T.String() }));
const HealthChanged = (name: string) =>
  named(
    name,
    T.Object({
      integration_id: integrationId,
      from: HealthStatusSchema,
      to: HealthStatusSchema,
      payload: T.Union([AnyObject('The probe body, or {error}'), T.Null()]),
    }),
  );

/**
 * The schema of every topic's `data` (SPEC §6): the one declaration `bus.publish` is
 * type-checked against, the SDK's event union is derived from, and the AsyncAPI document
 * describes. Objects are open: a topic may gain fields (wire compatibility).
 */
export const TOPIC_SCHEMAS = {
  'session.started': named(
    'SessionStartedEvent',
    T.Object({ session_id: sessionId, provider_id: T.String(), name: T.String(), integration_id: T.Optional(integrationId) }),
  ),
  'session.output': named(
    'SessionOutputEvent',
    T.Object({
      session_id: sessionId,
      data: T.String({ description: 'UTF-8 text of the chunk (chunks coalesced: ≤ 50 ms, ≤ 64 KiB)' }),
      offset: count('Cursor of its first byte'),
      bytes: count('Bytes in the chunk'),
    }),
  ),
  'session.restarted': named(
    'SessionRestartedEvent',
    T.Object({ session_id: sessionId, provider_id: T.String() }, { description: 'POST /start respawned it (v2; session.started follows too)' }),
  ),
  'session.idle': named(
    'SessionIdleEvent',
    T.Object({
      session_id: sessionId,
      idle_for_ms: count('Silence so far'),
      origin: Origin,
      recent_output: T.String({ description: 'The visible screen text, trailing blank lines trimmed (v2\'s reply signal, SPEC §16)' }),
    }),
  ),
  'session.state_changed': named(
    'SessionStateChangedEvent',
    T.Object({ session_id: sessionId, from: AgentState, to: AgentState, source: AgentSource, reason: T.Optional(AgentBlockedReason) }, { description: 'The agent state changed (SPEC §17)' }),
  ),
  'session.blocked': named(
    'SessionBlockedEvent',
    T.Object({ session_id: sessionId, reason: AgentBlockedReason, prompt_text: T.String() }, { description: 'A dialog waits for a human (SPEC §17)' }),
  ),
  'session.turn_completed': named(
    'SessionTurnCompletedEvent',
    T.Object({ session_id: sessionId, turn: AgentTurn, text: T.String({ description: 'The final assistant message' }) }, { description: 'A turn ended (SPEC §17)' }),
  ),
  'session.active': named('SessionActiveEvent', T.Object({ session_id: sessionId }, { description: 'Output resumed after idle' })),
  'session.input': named(
    'SessionInputEvent',
    T.Object({ session_id: sessionId }, { description: 'Input that submits (contains CR or LF) reached the session: REST or /stream' }),
  ),
  'session.ended': SessionEnd('SessionEndedEvent', 'process exited by itself'),
  'session.stopped': SessionEnd('SessionStoppedEvent', 'was stopped (stop or delete)'),
  'session.interrupted': SessionEnd('SessionInterruptedEvent', 'was running when the gateway shut down'),
  'channel.message_received': named(
    'ChannelMessageReceivedEvent',
    T.Object({
      channel_id: channelId,
      conversation_id: T.String(),
      author: T.String(),
      text: T.String(),
      author_id: T.Optional(T.String()),
      message_id: T.Optional(T.String()),
    }),
  ),
  'channel.command_received': named(
    'ChannelCommandReceivedEvent',
    T.Object({
      channel_id: channelId,
      conversation_id: T.String(),
      author: T.String(),
      command: T.String({ description: 'Lower-cased, without the slash' }),
      args: T.Array(T.String()),
      text: T.String({ description: 'The whole message' }),
      author_id: T.Optional(T.String()),
      message_id: T.Optional(T.String()),
    }),
  ),
  'channel.message_sent': named(
    'ChannelMessageSentEvent',
    T.Object({ channel_id: channelId, conversation_id: T.String(), text: T.String() }),
  ),
  'integration.registered': named(
    'IntegrationRegisteredEvent',
    T.Object({ integration_id: integrationId, name: T.String(), route_prefix: T.String(), scopes: T.Array(ScopeSchema) }),
  ),
  'integration.updated': named(
    'IntegrationUpdatedEvent',
    T.Object({ integration_id: integrationId, changed: T.Array(T.String(), { description: 'The fields that changed' }) }),
  ),
  'integration.key_rotated': KeyRotated('IntegrationKeyRotatedEvent'),
  'integration.deregistered': named('IntegrationDeregisteredEvent', T.Object({ integration_id: integrationId })),
  'integration.health_changed': HealthChanged('IntegrationHealthChangedEvent'),
  // The v2 guide's names: delivered only to subscribers naming them exactly (TOPIC_ALIASES).
  'integration.rotated': KeyRotated('IntegrationRotatedEvent'),
  'integration.health_change': HealthChanged('IntegrationHealthChangeEvent'),
} as const satisfies Record<string, TSchema>;

/**
 * Topics delivered under a second name (SPEC §16): the bus publishes the canonical name
 * (the v2 server's); a subscriber that names the alias exactly (the v2 guide's name) gets
 * the same event under the alias instead — once, never both.
 */
export const TOPIC_ALIASES = {
  'integration.rotated': 'integration.key_rotated',
  'integration.health_change': 'integration.health_changed',
} as const satisfies Partial<Record<keyof typeof TOPIC_SCHEMAS, keyof typeof TOPIC_SCHEMAS>>;

type TopicSchemas = typeof TOPIC_SCHEMAS;

/** Every topic and its `data` (socket.io `typed-events` style). */
export type Topics = { [K in keyof TopicSchemas]: Static<TopicSchemas[K]> };
export type TopicName = keyof Topics;
/** Every topic name, for walking the map. */
export const TOPIC_NAMES = Object.keys(TOPIC_SCHEMAS) as TopicName[];

export const HelloData = named(
  'HelloData',
  T.Object({ epoch: T.String({ description: 'Changes when the gateway restarts' }), seq: count('Last seq published') }, { description: 'data of the _hello frame' }),
);
export type HelloData = Static<typeof HelloData>;

export const GapData = named(
  'GapData',
  T.Object({ from: count('First seq not delivered'), to: count('Last seq not delivered') }, { description: 'data of a _gap frame' }),
);
export type GapData = Static<typeof GapData>;

/** One event frame of a topic. */
export interface TopicFrame<K extends TopicName = TopicName> {
  topic: K;
  ts: string;
  data: Topics[K];
  seq: number;
}


/**
 * One frame of `/integrations/_events`, discriminated by `topic`: narrow with
 * `if (ev.topic === 'session.ended') ev.data.exit_code`. `seq` is absent only on `_hello` and `_gap`.
 */
export type EventFrame = { [K in TopicName]: TopicFrame<K> }[TopicName] | HelloFrame | GapFrame;

/** The JSON Schema of a frame of `topic`: `{topic, ts, data, seq}` (AsyncAPI messages, tests). */
export function topicFrameSchema(topic: TopicName): TSchema {
  return T.Object({ topic: T.Literal(topic), ts: at('When it was published'), data: TOPIC_SCHEMAS[topic], seq: count('Per-gateway sequence') });
}

/** The first frame of every events socket; its `data.seq` is the newest published. Never a `seq` of its own. */
export const HelloFrameSchema = named(
  'HelloFrame',
  T.Object({ topic: T.Literal('_hello'), ts: at('When the socket opened'), data: HelloData, seq: T.Optional(T.Never()) }),
);
export type HelloFrame = Static<typeof HelloFrameSchema>;

/** Events the gateway could not deliver (replay window passed, slow consumer). */
export const GapFrameSchema = named(
  'GapFrame',
  T.Object({ topic: T.Literal('_gap'), ts: at('When the gap was noticed'), data: GapData, seq: T.Optional(T.Never()) }),
);
export type GapFrame = Static<typeof GapFrameSchema>;

/** Every text frame of `/integrations/_events`: one per topic, `_hello` and `_gap` (SPEC §6). */
export const EventFrameSchema = named(
  'EventFrame',
  T.Union([...TOPIC_NAMES.map((topic) => topicFrameSchema(topic)), HelloFrameSchema, GapFrameSchema], {
    description: 'One text frame of /integrations/_events, discriminated by topic',
  }),
);
