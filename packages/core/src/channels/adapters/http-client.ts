/**
 * The one outbound HTTP call channel adapters make: a JSON POST with a deadline, a capped
 * response body, no redirects, and error messages that never contain the URL (a webhook
 * URL or a Bot API path carries a secret).
 */

/** A failed call; `message` is safe to show an admin (no URL, no secret). */
export class ChannelHttpError extends Error {
  constructor(
    message: string,
    /** `timeout` | `network` | `aborted` | `too_large` */
    readonly kind: 'timeout' | 'network' | 'aborted' | 'too_large',
  ) {
    super(message);
    this.name = 'ChannelHttpError';
  }
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface PostOptions {
  timeoutMs: number;
  /** Aborts the call (the channel stopped, the delivery deadline passed). */
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** @default 4 MiB */
  maxResponseBytes?: number;
}

/** POSTs `json` (already serialised, so a signature can cover its bytes); resolves with any HTTP answer, rejects only when none arrived. */
export async function postJson(url: string, json: string, opts: PostOptions): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...opts.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: json,
      redirect: 'manual',
      signal,
    });
    const text = await readCapped(res, opts.maxResponseBytes ?? 4 * 1024 * 1024);
    return { status: res.status, headers: res.headers, body: text };
  } catch (err) {
    if (err instanceof ChannelHttpError) throw err;
    if (timeout.aborted) throw new ChannelHttpError(`timed out after ${opts.timeoutMs} ms`, 'timeout');
    if (opts.signal?.aborted) throw new ChannelHttpError('aborted', 'aborted');
    throw new ChannelHttpError(`connection failed (${networkReason(err)})`, 'network');
  }
}

async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ChannelHttpError(`response larger than ${limit} bytes`, 'too_large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An error code (ECONNREFUSED, ENOTFOUND…) rather than undici's text, which may quote the target. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(cause.code)) return cause.code;
  return 'network error';
}
