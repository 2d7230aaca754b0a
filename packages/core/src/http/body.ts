import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * Reads a JSON request body: 413 past `limitBytes` (the socket stops being read), 400
 * `invalid_json` for bytes that do not parse. Read as JSON without a `Content-Type`, as
 * `text/plain` or as `application/x-www-form-urlencoded` (what `curl -d` sends: the bytes
 * are unchanged JSON; v2 never checks the header, SPEC §1); 415 for any other explicit
 * type that is not JSON. An empty body reads as `{}` so routes with only optional fields need none.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const hasBody = (Number.isFinite(declared) && declared > 0) || req.headers['transfer-encoding'] !== undefined;
  const type = req.headers['content-type'];
  if (hasBody && !isJsonType(type)) {
    throw new GatewayError('unsupported_media_type', 'content type must be application/json (or none, text/plain, application/x-www-form-urlencoded)');
  }
  const raw = await readLimited(req, limitBytes);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'request body is not valid JSON');
  }
}

/** Media types a JSON body may be declared as (SPEC §1). */
const JSON_ALIKE = new Set(['', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']);

function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return true;
  const media = type.split(';')[0]!.trim().toLowerCase();
  return JSON_ALIKE.has(media) || (media.startsWith('application/') && media.endsWith('+json'));
}

/** Collects at most `limitBytes`; past it rejects with 413 without buffering more. */
export function readLimited(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
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
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const tooLarge = (limit: number): GatewayError =>
  new GatewayError('payload_too_large', `request body exceeds ${limit} bytes`);
