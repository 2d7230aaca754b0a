import { at, count, named, REASON, T, type Static, withOptions } from './kit.js';

export const CallDirectionSchema = named('CallDirection', T.Union([T.Literal('inbound'), T.Literal('outbound'), T.Literal('rejected'), T.Literal('admin')]));
export type CallDirection = Static<typeof CallDirectionSchema>;

/** One audited call (SPEC §10). */
export const CallEntry = named(
  'CallEntry',
  T.Object(
    {
      id: T.String(),
      ts: at('When the call started'),
      integration_id: T.Optional(T.String()),
      direction: CallDirectionSchema,
      method: T.String(),
      route: T.String({ description: 'Route template, e.g. /sessions/{id}/input' }),
      path: T.String(),
      status_code: T.Integer(),
      duration_ms: T.Number({ minimum: 0 }),
      bytes_in: count('Request body bytes'),
      bytes_out: count('Response body bytes'),
      request_id: T.String(),
      remote_addr: T.String(),
    },
    { description: 'One audited call (SPEC §10)' },
  ),
);
export type CallEntry = Static<typeof CallEntry>;

export const CallPage = named(
  'CallPage',
  T.Object({
    entries: T.Array(CallEntry, { description: 'Newest first' }),
    next_cursor: T.Union([T.String(), T.Null()], { description: 'Pass as ?cursor= for the next page; null on the last' }),
  }),
);
export type CallPage = Static<typeof CallPage>;

/** Entries per page when `limit` is absent, and the most one page may ask for (SPEC §4). */
export const DEFAULT_CALL_LIMIT = 100;
export const MAX_CALL_LIMIT = 500;

const STATUS_CLASS = T.Union([T.Literal(1), T.Literal(2), T.Literal(3), T.Literal(4), T.Literal(5)]);

/** The query of `GET /integrations/_calls`; unknown parameters are ignored. */
export const CallQuery = named(
  'CallQuery',
  T.Object({
    integration_id: T.Optional(T.String({ description: 'Only calls of this integration', minLength: 1, maxLength: 64 })),
    direction: T.Optional(withOptions(CallDirectionSchema, { description: 'Only this direction' })),
    status_class: T.Optional(
      T.Unsafe<Static<typeof STATUS_CLASS>>({ type: 'integer', minimum: 1, maximum: 5, description: 'Only statuses of this class (4 = 4xx)' }),
    ),
    since: T.Optional(T.String({ format: 'date-time', description: 'Not before (RFC 3339)' })),
    until: T.Optional(T.String({ format: 'date-time', description: 'Not after (RFC 3339)' })),
    cursor: T.Optional(
      T.String({ description: 'next_cursor of the previous page', pattern: '^[A-Za-z0-9_-]{1,128}$', [REASON]: 'not a cursor from a previous page' }),
    ),
    limit: T.Optional(
      T.Integer({ description: `Entries per page, 1–${MAX_CALL_LIMIT} (default ${DEFAULT_CALL_LIMIT})`, minimum: 1, maximum: MAX_CALL_LIMIT }),
    ),
  }),
);
export type CallQuery = Static<typeof CallQuery>;
