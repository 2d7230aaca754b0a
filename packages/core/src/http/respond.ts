import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '@opendray/sdk/wire';
import type { GatewayError } from '../errors.js';
import type { Reply } from './route.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes a handler's reply; returns the number of body bytes written. */
export function writeReply(res: ServerResponse, reply: Reply, headOnly: boolean): number {
  if (reply.kind === 'handled' || res.headersSent) return 0;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.kind === 'empty') {
    res.writeHead(reply.status).end();
    return 0;
  }
  const body =
    reply.kind === 'json' ? Buffer.from(JSON.stringify(reply.body)) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body);
  if (reply.kind === 'json') res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', body.length);
  res.writeHead(reply.status);
  res.end(headOnly ? undefined : body);
  return body.length;
}

/** Writes an error as `{"error","code","request_id"}` with its status and headers. */
export function writeError(res: ServerResponse, err: GatewayError, requestId: string): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body: ErrorBody = { error: err.message, code: err.code, request_id: requestId };
  return writeReply(res, { kind: 'json', status: err.status, body, headers: { ...err.headers } }, false);
}
