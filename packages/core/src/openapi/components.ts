type JsonSchema = Record<string, unknown>;

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };
const requestIdHeader = { $ref: '#/components/headers/X-Request-Id' };

/** Error responses shared by every operation, by status; each body is an ErrorBody (SPEC §1). */
export const ERROR_RESPONSES: Readonly<Record<number, { name: string; description: string; headers?: Record<string, JsonSchema> }>> = {
  400: { name: 'BadRequest', description: 'invalid_json, or validation_failed (the message names the field)' },
  401: {
    name: 'Unauthorized',
    description: 'Missing, malformed, expired, rotated, disabled or deleted credential (one body for all)',
    headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
  },
  403: { name: 'Forbidden', description: 'forbidden (admin only), or missing_scope (the message names the scope)' },
  404: { name: 'NotFound', description: "No such resource, or another integration's (tenancy)" },
  409: { name: 'Conflict', description: 'Conflicts with the current state' },
  413: { name: 'PayloadTooLarge', description: 'The body exceeds the configured limit (default 1 MiB)' },
  415: { name: 'UnsupportedMediaType', description: 'A body that is not application/json' },
  429: {
    name: 'RateLimited',
    description: 'Too many refused credentials or failed logins from this address',
    headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
  },
  502: { name: 'BadGateway', description: 'upstream_error' },
  503: { name: 'Unavailable', description: 'unavailable' },
  504: { name: 'GatewayTimeout', description: 'upstream_timeout' },
};

/** `#/components/responses/<name>` of an error status, or of `Error` (the default response). */
export const errorResponseRef = (status: number | 'default'): string =>
  `#/components/responses/${status === 'default' ? 'Error' : (ERROR_RESPONSES[status]?.name ?? 'Error')}`;

/** The `components` object but its schemas: shared error responses and headers, security schemes. */
export function components(): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    Error: { description: 'Any other error (e.g. 500 internal_error); same body', headers: { 'X-Request-Id': requestIdHeader }, content: errorContent },
  };
  for (const { name, description, headers } of Object.values(ERROR_RESPONSES)) {
    responses[name] = { description, headers: { 'X-Request-Id': requestIdHeader, ...headers }, content: errorContent };
  }
  return {
    responses,
    headers: {
      'X-Request-Id': { description: 'The request id: the incoming one echoed if sane, else generated', required: true, schema: { type: 'string' } },
      'WWW-Authenticate': { description: 'Bearer realm="opendray"', required: true, schema: { type: 'string' } },
      'Retry-After': { description: 'Seconds to wait before retrying', required: true, schema: { type: 'integer', minimum: 1 } },
    },
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'An admin token (POST /auth/login, or the static OPENDRAY_ADMIN_TOKEN) or an integration key odk_live_…',
      },
      queryToken: {
        type: 'apiKey',
        in: 'query',
        name: 'token',
        description: 'The same credential as ?token=, accepted on WebSocket upgrades only (SPEC §1)',
      },
    },
  };
}
