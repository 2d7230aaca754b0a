import { pino, stdSerializers, stdTimeFunctions, type DestinationStream } from 'pino';

/** Levels of the gateway's one structured logger. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger. Callers pass facts, never tokens, keys, passwords or bodies. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

// Field names whose values are dropped whatever a caller passes: a last line of defence.
const SECRET_FIELD = /token|password|secret|api_?key|authorization|cookie/i;
const SECRET_NAMES = ['token', 'password', 'secret', 'signing_secret', 'api_key', 'apiKey', 'authorization', 'cookie', 'set-cookie'];
// pino redacts by path; nested objects (a request's headers, a config) are covered to depth 2.
const REDACT_PATHS = SECRET_NAMES.flatMap((n) => [`*["${n}"]`, `*.*["${n}"]`]);

function shallowRedact(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * JSON lines (pino) on stderr — or to `write` — at or above `level`: `{level, time, msg,
 * ...fields}` with errors serialized with their stack (`error` / `err` fields) and
 * secret-named fields redacted at any depth. Writes are synchronous so the last lines
 * before an exit are never lost.
 */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  let destination: DestinationStream;
  if (write) destination = { write };
  else {
    const stderr = pino.destination({ fd: 2, sync: true });
    // A closed stderr (`serve 2>&1 | head`) must not crash the gateway.
    stderr.on('error', () => undefined);
    destination = stderr;
  }
  const log = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: stdSerializers.err, err: stdSerializers.err },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  return {
    debug: (m, f) => log.debug(shallowRedact(f), m),
    info: (m, f) => log.info(shallowRedact(f), m),
    warn: (m, f) => log.warn(shallowRedact(f), m),
    error: (m, f) => log.error(shallowRedact(f), m),
  };
}

/** A logger that drops everything: the embedder default when none is given. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
