import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import { findIllFormedText } from './unicode.js';

/**
 * The client went away (reset, or closed) before its body arrived: nobody is left to
 * answer, and it is the client's doing, so it is no 500 and no error-level log line.
 */
export class ClientAbortError extends Error {
  constructor() {
    super('the client closed the request before its body arrived');
    this.name = 'ClientAbortError';
  }
}

/**
 * Reads a JSON request body: 413 past `limitBytes` (the socket stops being read), 400
 * `invalid_json` for bytes that do not parse, 408 when the whole body has not arrived
 * within `timeoutMs` (the connection is then closed), {@link ClientAbortError} when the
 * client goes away first. Read as JSON without a `Content-Type`, as `text/plain` or as
 * `application/x-www-form-urlencoded` (what `curl -d` sends: the bytes are unchanged JSON;
 * v2 never checks the header, SPEC §1); 415 for any other explicit type that is not JSON.
 * An empty body reads as `{}` so routes with only optional fields need none. A string
 * (or key) that is not valid Unicode is a 400 naming it: nothing stored can break a reader.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number, timeoutMs?: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const hasBody = (Number.isFinite(declared) && declared > 0) || req.headers['transfer-encoding'] !== undefined;
  const type = req.headers['content-type'];
  if (hasBody && !isJsonType(type)) {
    throw new GatewayError('unsupported_media_type', 'content type must be application/json (or none, text/plain, application/x-www-form-urlencoded)');
  }
  const raw = await readLimited(req, limitBytes, timeoutMs);
  if (raw.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'request body is not valid JSON');
  }
  const illFormed = findIllFormedText(body);
  if (illFormed) throw new GatewayError('validation_failed', `${illFormed}: must be valid Unicode (a lone UTF-16 surrogate was sent)`);
  return body;
}

/** Media types a JSON body may be declared as (SPEC §1). */
const JSON_ALIKE = new Set(['', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']);

function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return true;
  const media = type.split(';')[0]!.trim().toLowerCase();
  return JSON_ALIKE.has(media) || (media.startsWith('application/') && media.endsWith('+json'));
}

/**
 * Collects at most `limitBytes`; past it rejects with 413 without buffering more. With
 * `timeoutMs`, a body not complete by then rejects with 408 (docs/abuse-resistance.md:
 * a client that declares a body and sends none holds nothing for long).
 */
export function readLimited(req: IncomingMessage, limitBytes: number, timeoutMs?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.complete && req.readableEnded) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            cleanup();
            reject(new GatewayError('request_timeout', `request body not received within ${timeoutMs} ms`, { headers: { Connection: 'close' } }));
          }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume(); // drain the rest so the 413 can still be written on this connection
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    // A reset or a close before the end is the client leaving, whatever error Node reports.
    const onAbort = (): void => {
      cleanup();
      reject(new ClientAbortError());
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

const tooLarge = (limit: number): GatewayError =>
  new GatewayError('payload_too_large', `request body exceeds ${limit} bytes`);
