import { named, T, type Static } from './kit.js';

/** Every error code the gateway answers with (SPEC §1; `docs/errors.md`). */
export const ERROR_CODES = [
  'invalid_json',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'missing_scope',
  'not_found',
  'method_not_allowed',
  'request_timeout',
  'conflict',
  'agent_busy',
  'agent_blocked',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'upstream_error',
  'unavailable',
  'upstream_timeout',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status each error code is answered with (SPEC §1): the one table, shared by gateway and SDK. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  missing_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  agent_busy: 409,
  agent_blocked: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  unavailable: 503,
  upstream_timeout: 504,
};

export const ErrorCodeSchema = named(
  'ErrorCode',
  T.Unsafe<ErrorCode>({ type: 'string', enum: [...ERROR_CODES], description: 'Stable error code (docs/errors.md)' }),
);

/** The body of every error response (SPEC §1). */
export const ErrorBody = named(
  'ErrorBody',
  T.Object(
    {
      error: T.String({ description: 'Human-readable message; a validation error reads "field: reason"' }),
      code: ErrorCodeSchema,
      request_id: T.Optional(T.String({ description: 'The X-Request-Id of the request' })),
    },
    { description: 'The body of every error response (SPEC §1)' },
  ),
);
export type ErrorBody = Static<typeof ErrorBody>;
