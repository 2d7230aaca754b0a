import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { toWellFormedJson } from '../http/unicode.js';

/** What one `GET {base_url}/health` said, before hysteresis (SPEC §9). */
export type ProbeOutcome =
  | { kind: 'healthy'; payload?: Record<string, unknown> }
  | { kind: 'degraded'; payload?: Record<string, unknown> }
  /** A 2xx whose body says it is unhealthy: it asks to shed traffic, so it is taken at once (SPEC §16). */
  | { kind: 'unhealthy'; payload?: Record<string, unknown> }
  | { kind: 'failure'; reason: string; payload?: Record<string, unknown> };

export interface ProbeRequest {
  url: URL;
  headers: OutgoingHttpHeaders;
  timeoutMs: number;
  /** Aborts the probe (gateway stopping, integration changed). */
  signal: AbortSignal;
  /** Bytes of body read at most; past it the probe fails without reading further. */
  maxBodyBytes: number;
}

const HEALTHY = new Set(['healthy', 'ok', 'up', 'pass']);
const UNHEALTHY = new Set(['unhealthy', 'down', 'fail', 'error']);

/**
 * Runs one probe and never rejects. The whole exchange (connect, head, body) must finish
 * within `timeoutMs`; the body is read up to `maxBodyBytes` and then dropped, so a huge or
 * endless body costs nothing; redirects are not followed (a 3xx is a failure).
 */
export function probeHealth(probe: ProbeRequest): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      probe.signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'failure', reason: 'probe aborted' });
    const send = probe.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(probe.url, { method: 'GET', headers: probe.headers, agent: false });
    const timer = setTimeout(() => finish({ kind: 'failure', reason: `no answer within ${probe.timeoutMs} ms` }), probe.timeoutMs);
    probe.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'failure', reason: describe(err) }));
    req.on('response', (res) =>
      readCapped(res, probe.maxBodyBytes, (body) =>
        finish(typeof body === 'string' ? { kind: 'failure', reason: body } : classify(res.statusCode ?? 0, body)),
      ),
    );
    req.end();
    if (probe.signal.aborted) onAbort();
  });
}

/** Calls `done` with the whole body, or with why there is none (too large, cut short). */
function readCapped(res: IncomingMessage, max: number, done: (body: Buffer | string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > max) return done(`health body exceeds ${max} bytes`);
    chunks.push(chunk);
  });
  res.on('end', () => done(Buffer.concat(chunks)));
  res.on('close', () => {
    if (!res.complete) done('connection lost mid-body');
  });
  res.on('error', () => undefined);
}

/** Classification of SPEC §9, before hysteresis. */
export function classify(status: number, body: Buffer): ProbeOutcome {
  const payload = jsonObject(body);
  if (status < 200 || status >= 300) return { kind: 'failure', reason: `HTTP ${status}`, ...(payload ? { payload } : {}) };
  const reported = typeof payload?.status === 'string' ? payload.status.toLowerCase() : undefined;
  if (!reported || HEALTHY.has(reported)) return { kind: 'healthy', ...(payload ? { payload } : {}) };
  if (UNHEALTHY.has(reported)) return { kind: 'unhealthy', ...(payload ? { payload } : {}) };
  // `degraded`, `warn`, and any status the gateway cannot interpret: shown, but still served.
  return { kind: 'degraded', ...(payload ? { payload } : {}) };
}

function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    // The payload is stored and listed: an upstream's lone surrogate must not break readers.
    const parsed: unknown = toWellFormedJson(JSON.parse(body.toString('utf8')));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      if (err.code?.startsWith('HPE_')) return 'not an HTTP answer';
      return err.code ? `connection error (${err.code})` : 'connection error';
  }
}
