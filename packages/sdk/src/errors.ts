import { ERROR_CODES, type ErrorBody, type ErrorCode } from './wire.js';

/**
 * Codes the SDK itself produces when no gateway answer exists (status `0`):
 * - `network_error`: the request or socket could not reach the gateway;
 * - `timeout`: no complete answer within `timeoutMs`;
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `invalid_response`: the gateway answered something that is not the documented shape.
 */
export const CLIENT_ERROR_CODES = ['network_error', 'timeout', 'aborted', 'invalid_response'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** Every `OpendrayError.code`: the gateway's codes (SPEC §1) plus the SDK's own. */
export type OpendrayErrorCode = ErrorCode | ClientErrorCode;

/**
 * The one error type the SDK throws (and hands to `onError` callbacks).
 *
 * `status` is the HTTP status of the gateway's answer, or `0` when there was none;
 * `code` is the gateway's `code` field (e.g. `missing_scope`), or one of
 * {@link CLIENT_ERROR_CODES}; `body` is the parsed error body (or the raw text) when the
 * gateway answered.
 */
export class OpendrayError extends Error {
  readonly status: number;
  readonly code: OpendrayErrorCode;
  readonly body: ErrorBody | string | undefined;
  /** The gateway's `request_id` (from the body or the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  /** Seconds from `Retry-After` on a 429, when given. */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    code: OpendrayErrorCode,
    message: string,
    extra: { body?: ErrorBody | string; requestId?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'OpendrayError';
    this.status = status;
    this.code = code;
    this.body = extra.body;
    this.requestId = extra.requestId;
    this.retryAfter = extra.retryAfter;
  }
}

/** Whether `err` is an {@link OpendrayError}, optionally with one of `codes`. */
export function isOpendrayError(err: unknown, ...codes: OpendrayErrorCode[]): err is OpendrayError {
  return err instanceof OpendrayError && (codes.length === 0 || codes.includes(err.code));
}

// A status without a usable body still gets the code the gateway would have sent.
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'upstream_timeout',
};

/** The error code for a status when the body carries none. */
export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}

/** Builds the error for a non-2xx answer from its status, body text and headers. */
export function errorFromAnswer(status: number, text: string, headers?: { get(name: string): string | null }): OpendrayError {
  let body: ErrorBody | string = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorBody).error === 'string') body = parsed as ErrorBody;
  } catch {
    // not JSON: keep the text (e.g. a reverse proxy in front of the gateway)
  }
  const known = typeof body === 'object' && (ERROR_CODES as readonly string[]).includes(body.code) ? body.code : undefined;
  const code = known ?? codeForStatus(status);
  const message = typeof body === 'object' ? body.error : `HTTP ${status}`;
  const requestId = (typeof body === 'object' ? body.request_id : undefined) ?? headers?.get('x-request-id') ?? undefined;
  const retry = Number(headers?.get('retry-after'));
  return new OpendrayError(status, code, message, {
    body,
    requestId,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
  });
}
