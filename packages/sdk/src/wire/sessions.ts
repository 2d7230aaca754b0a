import { AgentStatus } from './agents.js';
import { at, count, idOf, named, NO_CONTROL, NO_NUL, nullable, REASON, T, WELL_FORMED, type Static, withOptions } from './kit.js';

export const SESSION_STATES = ['running', 'idle', 'stopped', 'ended', 'interrupted'] as const;
export const SessionStateSchema = named('SessionState', T.Unsafe<(typeof SESSION_STATES)[number]>({ type: 'string', enum: [...SESSION_STATES] }));
export type SessionState = Static<typeof SessionStateSchema>;

const size = (description: string) => T.Integer({ description, minimum: 1, maximum: 1000 });

/** A PTY session (SPEC §5.2). */
export const Session = named(
  'Session',
  T.Object(
    {
      id: idOf('ses', 'Session id'),
      name: T.String(),
      provider_id: T.String(),
      cwd: T.String(),
      args: T.Array(T.String()),
      state: SessionStateSchema,
      pid: T.Optional(T.Integer()),
      cols: size('Terminal columns'),
      rows: size('Terminal rows'),
      origin: T.Union([T.Literal('operator'), T.Literal('integration')]),
      integration_id: T.Optional(T.String({ description: 'The integration that created it' })),
      private: T.Optional(T.Boolean({ description: 'true: no integration but its creator sees it (SPEC §3)' })),
      model: T.Optional(T.String({ description: 'The model asked for at create (or the integration\'s default_model)' })),
      created_at: at('Creation time'),
      started_at: at('Last (re)start'),
      ended_at: T.Optional(at('When it stopped or ended')),
      exit_code: T.Optional(T.Union([T.Integer(), T.Null()])),
      signal: T.Optional(T.Union([T.String(), T.Null()])),
      idle_since: T.Optional(at('Start of the current idle period')),
      bytes_out: count('Total output bytes = the buffer cursor (SPEC §5.4)'),
      agent: T.Optional(T.Union([AgentStatus, T.Null()], { description: 'What the agent is doing (SPEC §17); null for plain shells' })),
    },
    { description: 'A PTY session (SPEC §5.2)' },
  ),
);
export type Session = Static<typeof Session>;

export const SessionList = named('SessionList', T.Object({ sessions: T.Array(Session) }));
export type SessionList = Static<typeof SessionList>;

export const MAX_SESSION_ARGS = 64;
export const DEFAULT_COLS = 120;
export const DEFAULT_ROWS = 40;

/** `POST /sessions` (SPEC §5.2); `null` counts as absent for the string fields. */
export const CreateSessionRequest = named(
  'CreateSessionRequest',
  T.Object(
    {
      provider_id: T.Optional(nullable(T.String({ description: 'Default the integration\'s default_provider_id, else "shell"; "" counts as absent', maxLength: 64 }))),
      name: T.Optional(
        nullable(T.String({ maxLength: 128, pattern: NO_CONTROL, description: '"" counts as absent', [REASON]: 'must be at most 128 printable characters' })),
      ),
      cwd: T.Optional(nullable(T.String({ description: 'An existing absolute directory; default the workspace root', maxLength: 4096 }))),
      args: T.Optional(
        T.Array(T.String({ maxLength: 8192, pattern: NO_NUL, [REASON]: 'must be a string of at most 8192 characters without NUL' }), {
          maxItems: MAX_SESSION_ARGS,
        }),
      ),
      env: T.Optional(
        T.Unsafe<Record<string, string>>({
          type: 'object',
          maxProperties: 256,
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$', [REASON]: 'invalid variable name' },
          additionalProperties: { type: 'string', maxLength: 32_768, pattern: NO_NUL, [REASON]: 'must be a string of at most 32768 characters without NUL' },
        }),
      ),
      cols: T.Optional(withOptions(size('Terminal columns'), { default: DEFAULT_COLS })),
      rows: T.Optional(withOptions(size('Terminal rows'), { default: DEFAULT_ROWS })),
      model: T.Optional(
        nullable(T.String({ maxLength: 256, pattern: NO_CONTROL, description: '"" counts as absent', [REASON]: 'must be at most 256 printable characters' })),
      ),
      private: T.Optional(
        T.Boolean({ description: "true: no integration sees it but the one creating it (an operator's private session; SPEC §3)" }),
      ),
    },
    {
      description:
        'SPEC §5.2; null or "" counts as absent for the strings (v2 clients send Go\'s zero values); provider_id defaults to the integration\'s default_provider_id, else "shell"',
    },
  ),
);
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

/** Named keys accepted by `POST /sessions/{id}/input {"keys": [...]}` (SPEC §5.6), besides `C-a`…`C-z`. */
export const NAMED_KEYS = [
  'Enter', 'Tab', 'Escape', 'Backspace', 'Up', 'Down', 'Left', 'Right',
  'PageUp', 'PageDown', 'Home', 'End', 'Delete', 'Space',
] as const;

export const NamedKey = named(
  'NamedKey',
  T.Unsafe<string>({
    type: 'string',
    description: 'A named key for POST /sessions/{id}/input (SPEC §5.6)',
    pattern: `^(?:${NAMED_KEYS.join('|')}|C-[a-zA-Z])$`,
    [REASON]: 'unknown key name',
  }),
);
export const MAX_INPUT_KEYS = 256;

const wellFormed = (description: string) =>
  T.String({ description, pattern: WELL_FORMED, [REASON]: 'must be valid UTF-8 (contains a lone surrogate)' });

/**
 * `POST /sessions/{id}/input` (SPEC §5.6, §16): `data` (raw bytes as a string), `text` (a
 * message, submitted) or `keys`. When several are given the first of data, text, keys wins
 * (v2 reads only `data`); `{}` is a no-op (204).
 */
export const InputRequest = named(
  'InputRequest',
  T.Object(
    {
      data: T.Optional(wellFormed('Written as is; wins over text and keys')),
      text: T.Optional(wellFormed("Typed, then submitted with the provider's submit key; wins over keys")),
      keys: T.Optional(T.Array(NamedKey, { maxItems: MAX_INPUT_KEYS, description: 'Named keys, sent in order' })),
    },
    { description: 'data, text or keys; the first of them present wins; {} is a no-op (SPEC §5.6, §16)' },
  ),
);
export type InputRequest = Static<typeof InputRequest>;

export const ResizeRequest = named('ResizeRequest', T.Object({ cols: size('Terminal columns'), rows: size('Terminal rows') }));
export type ResizeRequest = Static<typeof ResizeRequest>;

export const HistoryEntry = named('HistoryEntry', T.Object({ ts: at('When it was submitted'), text: T.String(), session_id: T.String() }));
export type HistoryEntry = Static<typeof HistoryEntry>;

export const HistoryList = named('HistoryList', T.Object({ entries: T.Array(HistoryEntry, { description: 'Oldest first' }) }));
export type HistoryList = Static<typeof HistoryList>;

/** The rendered terminal (SPEC §4, beyond). */
export const Screen = named(
  'Screen',
  T.Object(
    {
      cols: T.Integer(),
      rows: T.Integer(),
      cursor: T.Object({ x: count('Column, 0-based'), y: count('Row, 0-based') }),
      alt_screen: T.Boolean({ description: 'The alternate screen is active' }),
      title: T.String(),
      lines: T.Array(T.String(), { description: 'One string per row, trailing spaces trimmed' }),
    },
    { description: 'The rendered terminal (SPEC §4, beyond)' },
  ),
);
export type Screen = Static<typeof Screen>;

export const MAX_HISTORY_LIMIT = 1000;
export const DEFAULT_HISTORY_LIMIT = 200;

/** Query of `GET /sessions`. */
export const ListSessionsQuery = T.Object({
  state: T.Optional(withOptions(SessionStateSchema, { description: 'Only sessions in this state' })),
  provider_id: T.Optional(T.String({ description: 'Only sessions of this provider' })),
  include: T.Optional(
    T.Literal('shared', {
      description: "For an integration: also the operator's sessions it may see (SPEC §3); without it, only its own (v2)",
    }),
  ),
});
/** Query of `GET /sessions/{id}/buffer` and of the stream. */
export const SinceQuery = T.Object({
  since: T.Optional(
    T.Integer({ description: 'Byte cursor to read from (default: the whole ring)', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  ),
});
export const HistoryQuery = T.Object({
  limit: T.Optional(
    T.Integer({ description: `Most entries, 1–${MAX_HISTORY_LIMIT} (default ${DEFAULT_HISTORY_LIMIT})`, minimum: 1, maximum: MAX_HISTORY_LIMIT }),
  ),
});
export const ScreenQuery = T.Object({
  format: T.Optional(T.Union([T.Literal('json'), T.Literal('ansi')], { description: 'ansi: bytes that repaint the screen' })),
});
