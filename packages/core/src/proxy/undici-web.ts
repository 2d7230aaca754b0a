import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import type { UpstreamCall, WebExchange } from './engine.js';

/**
 * Response bytes the client socket may hold before the upstream is paused. Node's own
 * watermark (16 KiB) is below one upstream read (64 KiB), so following it would pause and
 * resume the upstream on every chunk; this keeps a few reads in flight, still bounded.
 */
const CLIENT_BUFFER_BYTES = 256 * 1024;

/** Headers Node keeps once when an answer repeats them (node:_http_incoming); others are joined. */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * Proxied HTTP requests on undici's dispatcher (the basis of `@fastify/reply-from`): one
 * keep-alive pool per upstream origin, the response streamed to the client chunk by chunk
 * with backpressure (`onData` returning false pauses the upstream socket until the client
 * drained). Measured against http-proxy in docs/proxy.md: the same work for about half
 * the CPU, because it builds no `ClientRequest`/`IncomingMessage` pair per request.
 */
export function createUndiciWeb(): { web(req: IncomingMessage, res: ServerResponse, call: UpstreamCall, exchange: WebExchange): void; close(): void } {
  const agent = new Agent({ pipelining: 1 });
  return {
    web(req, res, call, exchange) {
      forward(agent, req, res, call, exchange);
    },
    close() {
      void agent.destroy().catch(() => undefined);
    },
  };
}

function forward(agent: Agent, req: IncomingMessage, res: ServerResponse, { headers, target, timeoutMs }: UpstreamCall, exchange: WebExchange): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  let abort: ((err?: Error) => void) | null = null;
  let headed = false;
  let settled = false;
  // undici's headers timeout runs from dispatch: an upload longer than it would look like a
  // silent upstream. With a body the wait for the head is an inactivity timer on the upload.
  let uploadTimer: NodeJS.Timeout | null = null;
  let uploadTimedOut = false;
  // The parser's resume, bound to this exchange only: a connection reused by a later request
  // must not be resumed by a late 'drain' of this response.
  let resumeUpstream: (() => void) | null = null;
  const onDrain = (): void => resumeUpstream?.();
  if (hasBody) {
    uploadTimer = setTimeout(() => {
      uploadTimedOut = true;
      abort?.(new Error('upstream did not answer in time'));
    }, timeoutMs);
  }
  const stopUploadTimer = (): void => {
    if (uploadTimer) clearTimeout(uploadTimer);
    uploadTimer = null;
  };
  res.once('close', () => {
    // The client left before the end: the upstream exchange is of no use any more.
    if (!settled) abort?.(new Error('client closed the connection'));
  });

  const handler: Dispatcher.DispatchHandlers = {
    onConnect(abortFn) {
      abort = abortFn;
      if (res.destroyed) abortFn(new Error('client closed the connection'));
    },
    // Typed as a size, called with the chunk (undici 6): count either.
    onBodySent(sent: number | Buffer) {
      uploadTimer?.refresh();
      exchange.onBytes('in', typeof sent === 'number' ? sent : sent.length);
    },
    onHeaders(status, raw, resume) {
      // Informational answers (100, 103) are not passed on; the final one follows.
      if (status < 200) return true;
      headed = true;
      stopUploadTimer();
      exchange.onHead(status, headersOf(raw as unknown as Buffer[]));
      resumeUpstream = resume;
      res.on('drain', onDrain);
      return true;
    },
    onData(chunk) {
      exchange.onBytes('out', chunk.length);
      // false pauses the upstream until 'drain' (the socket emptied) calls `resume`.
      return res.write(chunk) || res.writableLength < CLIENT_BUFFER_BYTES;
    },
    onComplete() {
      settled = true;
      resumeUpstream = null;
      res.end();
    },
    onError(err) {
      settled = true;
      resumeUpstream = null;
      stopUploadTimer();
      // Cut mid-body: the client must see a broken response, not a short one.
      if (headed) return void res.destroy();
      if (res.destroyed) return;
      const code = (err as { code?: string }).code;
      // undici refuses a 101 to a plain request with this socket error; say what happened.
      if (code === 'UND_ERR_SOCKET' && err.message === 'bad upgrade') {
        return exchange.onError(new Error('answered 101 Switching Protocols to a plain request'), 'protocol');
      }
      exchange.onError(err, uploadTimedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'upstream');
    },
  };

  try {
    agent.dispatch(
      {
        origin: `${target.protocol}//${target.host}`,
        path: target.requestTarget,
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: withoutFraming(headers),
        body: hasBody ? req : null,
        headersTimeout: hasBody ? 0 : timeoutMs,
        bodyTimeout: timeoutMs,
      },
      handler,
    );
  } catch (err) {
    // undici refuses what it cannot send faithfully (a path or header byte outside HTTP's grammar).
    settled = true;
    stopUploadTimer();
    exchange.onError(err as Error, 'unsendable');
  }
}

/** undici frames the body itself (Content-Length as given, else chunked) and owns the connection header. */
function withoutFraming(headers: OutgoingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'transfer-encoding' || name === 'connection') continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}

/** undici's raw header list as Node's `IncomingMessage.headers` would hold it. */
function headersOf(raw: Buffer[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const prior = out[name];
    if (name === 'set-cookie') {
      if (Array.isArray(prior)) prior.push(value);
      else out[name] = [value];
    } else if (prior === undefined) out[name] = value;
    else if (!FIRST_WINS.has(name)) out[name] = `${prior as string}, ${value}`;
  }
  return out;
}
