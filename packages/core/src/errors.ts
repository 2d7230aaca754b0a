import { ERROR_CODES, STATUS_BY_CODE, type ErrorCode } from '@opendray/sdk/wire';

// The code list and the status table live once, in the wire, shared with the SDK (SPEC §1; `docs/errors.md`).
export { ERROR_CODES, STATUS_BY_CODE, type ErrorCode };

/**
 * The one error type of the gateway: a status, a stable `code`, a message safe to show
 * the caller, and optional response headers. Anything else thrown becomes a 500.
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string): GatewayError => new GatewayError('validation_failed', message);
export const notFound = (what = 'resource'): GatewayError => new GatewayError('not_found', `${what} not found`);
export const conflict = (message: string): GatewayError => new GatewayError('conflict', message);
export const forbidden = (message = 'forbidden'): GatewayError => new GatewayError('forbidden', message);
export const missingScope = (scope: string): GatewayError =>
  new GatewayError('missing_scope', `missing scope: ${scope}`);
export const unavailable = (message: string): GatewayError => new GatewayError('unavailable', message);

/** 401 with the same body for every kind of bad credential (SPEC §1). */
export const unauthorized = (): GatewayError =>
  new GatewayError('unauthorized', 'unauthorized', { headers: { 'WWW-Authenticate': 'Bearer realm="opendray"' } });

export const rateLimited = (retryAfterS: number, message = 'too many requests'): GatewayError =>
  new GatewayError('rate_limited', message, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterS))) } });

/** Any thrown value as a GatewayError; unknown failures become an opaque 500. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal_error', 'internal error', { cause: err });
}
