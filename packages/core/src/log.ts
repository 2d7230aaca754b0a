/** Levels of the gateway's one structured logger. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger. Callers pass facts, never tokens, keys, passwords or bodies. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Field names whose values are dropped whatever a caller passes: a last line of defence.
const SECRET_FIELD = /token|password|secret|api_?key|authorization|cookie/i;

function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = v.message;
    else out[k] = v;
  }
  return out;
}

/** JSON lines on stderr at or above `level`. */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...redact(fields) })}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that drops everything: the embedder default when none is given. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
