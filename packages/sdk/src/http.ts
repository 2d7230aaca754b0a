import { errorFromAnswer, isOpendrayError, OpendrayError } from './errors.js';

/** A `fetch` with the standard signature (the global one, undici's, a test's, a polyfill). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Query parameters; `undefined` and `null` values are left out. */
export type Query = Record<string, string | number | boolean | undefined | null>;

/** Options of one REST call, shared by every typed method and by `apiCall`. */
export interface CallOptions {
  /** Cancels the call; the SDK then throws `OpendrayError` with code `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call (`0` = none). */
  timeoutMs?: number;
}

/** What {@link Transport.request} accepts. */
export interface RequestInit2 extends CallOptions {
  /** @default 'GET' */
  method?: string;
  query?: Query;
  /** A plain object or array is sent as JSON; a string or bytes as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Send no credential and never run key recovery (login, health). */
  anonymous?: boolean;
  /** Non-2xx statuses whose body is a documented answer, not an error (e.g. 503 of `/health`). */
  acceptStatus?: readonly number[];
}

/**
 * Called once per refused credential (401): may return a fresh token (e.g. after an
 * admin rotated the key, see `withKeyRecovery`), which the client adopts before retrying
 * the call once. Returning `null` lets the 401 through.
 */
export type UnauthorizedHandler = (error: OpendrayError) => Promise<string | null | undefined>;

export interface TransportOptions {
  baseUrl: string;
  token?: string;
  fetch?: FetchLike;
  /** @default 30_000; `0` disables */
  timeoutMs?: number;
  onUnauthorized?: UnauthorizedHandler;
}

const API_BASE = '/api/v1';

/**
 * The HTTP layer of the client: builds `/api/v1` URLs, attaches the bearer token,
 * enforces the timeout through an `AbortSignal` (covering the body read too), turns
 * every failure into an {@link OpendrayError}, and runs key recovery on a 401 at most
 * once per call, single-flight across concurrent calls.
 */
export class Transport {
  /** Origin plus any path prefix, without a trailing slash and without `/api/v1`. */
  readonly origin: string;
  token: string | undefined;
  onUnauthorized: UnauthorizedHandler | undefined;
  readonly timeoutMs: number;
  private readonly fetchFn: FetchLike;
  private recovering: Promise<string | null> | null = null;

  constructor(options: TransportOptions) {
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError('baseUrl: must be an http(s) URL, e.g. http://127.0.0.1:8770');
    }
    this.origin = options.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.token = options.token;
    this.onUnauthorized = options.onUnauthorized;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const f = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof f !== 'function') throw new TypeError('fetch: no global fetch; pass one in the options');
    // Called unbound: a browser's fetch throws "Illegal invocation" when `this` is not the window.
    this.fetchFn = (input, init) => f(input, init);
  }

  /** The absolute URL of an API path (relative to `/api/v1`) with its query. */
  url(path: string, query?: Query): string {
    const p = path.startsWith(`${API_BASE}/`) ? path : `${API_BASE}${path.startsWith('/') ? '' : '/'}${path}`;
    const qs = toQueryString(query);
    return `${this.origin}${p}${qs ? `${p.includes('?') ? '&' : '?'}${qs}` : ''}`;
  }

  /** A call whose 2xx body is JSON (or empty → `undefined`). */
  json<T>(path: string, init: RequestInit2 = {}): Promise<T> {
    return this.request(path, init, async (res) => {
      const text = await res.text();
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new OpendrayError(res.status, 'invalid_response', 'the gateway answered with invalid JSON', { body: text, cause });
      }
    });
  }

  /** A call whose 2xx body is bytes; `read` also gets the headers. */
  bytes<T>(path: string, init: RequestInit2, read: (bytes: Uint8Array, headers: Headers) => T): Promise<T> {
    return this.request(path, init, async (res) => read(new Uint8Array(await res.arrayBuffer()), res.headers));
  }

  /**
   * Sends the request and hands a 2xx response to `read` (inside the timeout); throws
   * the gateway's error otherwise. A 401 runs key recovery and retries once.
   */
  async request<T>(path: string, init: RequestInit2, read: (res: Response) => Promise<T>): Promise<T> {
    const used = this.token;
    try {
      return await this.attempt(path, init, used, read);
    } catch (err) {
      if (init.anonymous || !isOpendrayError(err) || err.status !== 401) throw err;
      const fresh = await this.recover(used, err);
      if (!fresh) throw err;
      return this.attempt(path, init, fresh, read);
    }
  }

  /**
   * The raw `Response` of a call, whatever its status (for the reverse proxy, whose
   * answers are the upstream's). The timeout covers only the wait for the headers.
   */
  async raw(path: string, init: RequestInit2 & { body?: BodyInit | null }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token && !init.anonymous) headers.authorization = `Bearer ${this.token}`;
    const deadline = withDeadline(init.signal, init.timeoutMs ?? this.timeoutMs);
    try {
      const res = await this.fetchFn(this.url(path, init.query), {
        method: init.method ?? 'GET',
        headers,
        body: init.body ?? undefined,
        signal: deadline.signal,
        // a stream body needs half-duplex in fetch implementations that stream uploads
        ...(isStream(init.body) ? { duplex: 'half' } : {}),
      } as RequestInit);
      // the caller's signal keeps governing the body stream; the timeout stops here
      deadline.clearTimer();
      return res;
    } catch (cause) {
      deadline.dispose();
      throw deadline.explain(cause);
    }
  }

  /**
   * Returns a fresh token after a 401 seen with `used`: the current one when another
   * call already recovered, else the handler's answer (one handler run at a time).
   */
  async recover(used: string | undefined, error: OpendrayError): Promise<string | null> {
    if (this.token !== used && this.token) return this.token;
    const handler = this.onUnauthorized;
    if (!handler) return null;
    this.recovering ??= (async () => {
      try {
        const fresh = await handler(error);
        if (fresh) this.token = fresh;
        return fresh ?? null;
      } finally {
        this.recovering = null;
      }
    })();
    return this.recovering;
  }

  private async attempt<T>(path: string, init: RequestInit2, token: string | undefined, read: (res: Response) => Promise<T>): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (token && !init.anonymous) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (init.body !== undefined) {
      if (typeof init.body === 'string' || init.body instanceof Uint8Array) body = init.body as BodyInit;
      else {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    const deadline = withDeadline(init.signal, init.timeoutMs ?? this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await this.fetchFn(this.url(path, init.query), { method: init.method ?? 'GET', headers, body, signal: deadline.signal });
      } catch (cause) {
        throw deadline.explain(cause);
      }
      try {
        if (res.ok || init.acceptStatus?.includes(res.status)) return await read(res);
        const text = await res.text();
        throw errorFromAnswer(res.status, text, res.headers);
      } catch (cause) {
        if (cause instanceof OpendrayError) throw cause;
        throw deadline.explain(cause);
      }
    } finally {
      deadline.dispose();
    }
  }
}

/** One signal that fires on the caller's abort or after `timeoutMs`, and says which. */
export function withDeadline(
  outer: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; explain(cause: unknown): OpendrayError; clearTimer(): void; dispose(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(new Error('timeout'));
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    explain(cause) {
      if (timedOut) return new OpendrayError(0, 'timeout', `no answer within ${timeoutMs} ms`, { cause });
      if (outer?.aborted) return new OpendrayError(0, 'aborted', 'the call was aborted', { cause });
      const detail = cause instanceof Error ? `: ${cause.message}` : '';
      return new OpendrayError(0, 'network_error', `cannot reach the gateway${detail}`, { cause });
    },
    clearTimer() {
      if (timer) clearTimeout(timer);
    },
    dispose() {
      if (timer) clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

function toQueryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
  return params.toString();
}

function isStream(body: unknown): boolean {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}
