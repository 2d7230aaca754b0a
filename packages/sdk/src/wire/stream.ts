import { count, named, T, type Static, withOptions } from './kit.js';
import { SessionStateSchema, SinceQuery } from './sessions.js';

/** The subprotocol name a client offers to get the v2 stream. */
export const STREAM_SUBPROTOCOL_V2 = 'opendray.v2';

const ExitCode = T.Union([T.Integer(), T.Null()]);

/** Control frames of the `opendray.v2` stream, server to client (SPEC §5.5). */
export const StreamServerControl = named(
  'StreamServerControl',
  T.Union(
    [
      T.Object({ type: T.Literal('hello'), cursor: count('Next byte offset'), cols: T.Integer(), rows: T.Integer(), state: SessionStateSchema }),
      T.Object({ type: T.Literal('gap'), from: count('First lost offset'), to: count('First offset after the loss') }),
      T.Object({ type: T.Literal('resize'), cols: T.Integer(), rows: T.Integer() }),
      T.Object({
        type: T.Literal('ended'),
        exit_code: T.Optional(withOptions(ExitCode, { description: 'Absent when the session is deleted, unknown or not visible (then close 1001)' })),
        signal: T.Optional(T.Union([T.String(), T.Null()])),
        cursor: T.Optional(count('Final cursor; absent like exit_code')),
        state: T.Optional(
          T.Union([T.Literal('ended'), T.Literal('stopped'), T.Literal('interrupted')], {
            description: 'How it ended: by itself, stopped, or interrupted by a gateway shutdown; absent like exit_code',
          }),
        ),
      }),
      T.Object(
        {
          type: T.Literal('error'),
          code: T.Union([T.Literal('invalid_json'), T.Literal('unknown_control'), T.Literal('validation_failed')]),
          message: T.String(),
        },
        { description: 'The answer to a client text frame that is not a valid control message' },
      ),
    ],
    { description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, server to client (SPEC §5.5)` },
  ),
);
export type StreamServerControl = Static<typeof StreamServerControl>;

/** The one text frame a default-mode `/stream` sends: the end of the process. */
export const StreamEnded = named(
  'StreamEnded',
  T.Object(
    {
      type: T.Literal('ended'),
      exit_code: T.Optional(withOptions(ExitCode, { description: 'Absent when the session is deleted, unknown or not visible (SPEC §16)' })),
    },
    { description: 'Default-mode /stream: the process ended (then close 1000), or the session is gone (then close 1001)' },
  ),
);
export type StreamEnded = Static<typeof StreamEnded>;

/**
 * Control frames of the `opendray.v2` stream, client to server: `resize`, and `flow` —
 * `ack` makes this client the session's driver (lossless: the PTY waits while it reads),
 * `none` gives that back (SPEC §5.5).
 */
export const StreamClientControl = named(
  'StreamClientControl',
  T.Union(
    [
      T.Object({
        type: T.Literal('resize'),
        cols: T.Integer({ minimum: 1, maximum: 1000 }),
        rows: T.Integer({ minimum: 1, maximum: 1000 }),
      }),
      T.Object({ type: T.Literal('flow'), mode: T.Union([T.Literal('ack'), T.Literal('none')]) }),
    ],
    { description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, client to server` },
  ),
);
export type StreamClientControl = Static<typeof StreamClientControl>;

/** The query of `WS /sessions/{id}/stream`: resume from `since`; `flow=ack` asks to be the driver. */
export const StreamQuery = T.Object({
  since: SinceQuery.properties.since,
  flow: T.Optional(T.Literal('ack', { description: "Become the session's driver: flow control instead of resyncs (needs session:input)" })),
});
export type StreamQuery = Static<typeof StreamQuery>;
