import { ChannelHttpError, postJson } from './http-client.js';

/**
 * A failed Bot API call. The message never contains the bot token (it is part of the URL
 * path, so every text that could quote it is scrubbed).
 */
export class TelegramApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'aborted' | 'malformed' | 'http',
    /** `parameters.retry_after` of a 429 (or any answer carrying it), in seconds. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'TelegramApiError';
  }
}

export interface TelegramApi {
  /** Calls a Bot API method; resolves with `result`, rejects with a TelegramApiError. */
  call(method: string, params: Record<string, unknown>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<unknown>;
}

/** A Bot API client for one bot: `POST {baseUrl}/bot{token}/{method}` with a JSON body. */
export function createTelegramApi(baseUrl: string, token: string): TelegramApi {
  const scrub = (text: string): string => text.split(token).join('<token>').split(encodeURIComponent(token)).join('<token>');
  return {
    async call(method, params, opts) {
      let answer;
      try {
        answer = await postJson(`${baseUrl}/bot${token}/${method}`, JSON.stringify(params), {
          timeoutMs: opts.timeoutMs,
          signal: opts.signal,
        });
      } catch (err) {
        const kind = err instanceof ChannelHttpError && err.kind !== 'too_large' ? err.kind : 'malformed';
        throw new TelegramApiError(`telegram ${method}: ${scrub((err as Error).message)}`, kind);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, 'malformed');
      }
      if (typeof parsed !== 'object' || parsed === null) {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, 'malformed');
      }
      const p = parsed as { ok?: unknown; result?: unknown; description?: unknown; error_code?: unknown; parameters?: { retry_after?: unknown } };
      if (p.ok === true && answer.status >= 200 && answer.status < 300 && 'result' in p) return p.result;
      const retryAfter = p.parameters?.retry_after;
      const retryAfterS = typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
      const description = typeof p.description === 'string' ? ` ${scrub(p.description).slice(0, 200)}` : '';
      if (p.ok !== false && answer.status >= 200 && answer.status < 300) {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, 'malformed');
      }
      throw new TelegramApiError(`telegram ${method}: HTTP ${answer.status}${description}`, 'http', retryAfterS);
    },
  };
}
