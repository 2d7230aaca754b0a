import { count, named, T, type Static } from './kit.js';
import { SessionStateSchema } from './sessions.js';

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
        exit_code: ExitCode,
        signal: T.Optional(T.Union([T.String(), T.Null()])),
        cursor: count('Final cursor'),
      }),
    ],
    { description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, server to client (SPEC §5.5)` },
  ),
);
export type StreamServerControl = Static<typeof StreamServerControl>;

/** The one text frame a default-mode `/stream` sends: the end of the process. */
export const StreamEnded = named(
  'StreamEnded',
  T.Object({ type: T.Literal('ended'), exit_code: ExitCode }, { description: 'Default-mode /stream: the process ended (then close 1000)' }),
);
export type StreamEnded = Static<typeof StreamEnded>;

/** Control frames of the `opendray.v2` stream, client to server. */
export const StreamClientControl = named(
  'StreamClientControl',
  T.Object(
    {
      type: T.Literal('resize'),
      cols: T.Integer({ minimum: 1, maximum: 1000 }),
      rows: T.Integer({ minimum: 1, maximum: 1000 }),
    },
    { description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, client to server` },
  ),
);
export type StreamClientControl = Static<typeof StreamClientControl>;
