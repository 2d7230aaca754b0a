import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the stand-in answers every Bot API call. */
export type TelegramMode =
  | 'ok'
  /** Never answers (the client's timeout must fire). */
  | 'hang'
  /** 200 with a body that is not JSON. */
  | 'malformed'
  /** 429 `{ok:false, parameters:{retry_after}}`. */
  | 'rate_limited'
  /** 500 `{ok:false}` whose description quotes the request path (and so the token). */
  | 'error';

export interface TelegramCall {
  method: string;
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** What the stand-in answered with (the mode at that moment). */
  mode: TelegramMode;
}

/**
 * A local stand-in for the Telegram Bot API (`POST /bot<token>/<method>`): long-polled
 * `getUpdates` (honouring `offset` and `timeout`) and `sendMessage`, with fault modes, and
 * `down()` / `up()` to stop and restart it on the same port.
 */
export interface TelegramStandIn {
  /** The `api_base_url` to configure, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly token: string;
  mode: TelegramMode;
  retryAfterS: number;
  readonly calls: TelegramCall[];
  /** Texts delivered with sendMessage, in order. */
  readonly sent: Array<{ chat_id: unknown; text: unknown }>;
  /** getUpdates requests the client abandoned before an answer (aborted long polls). */
  readonly abandoned: number;
  /** Queues a text message from `username` in chat `chatId`. */
  pushMessage(chatId: number, text: string, username?: string): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTelegramStandIn(token = '123456:TEST-token_abcdefghij'): Promise<TelegramStandIn> {
  const updates: Array<Record<string, unknown> & { update_id: number }> = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let nextUpdateId = 1000;
  let nextMessageId = 1;
  let abandoned = 0;

  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      /* a client bug the test will notice through missing effects */
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    const method = m?.[2] ?? '';
    const mode = standIn.mode;
    standIn.calls.push({ method, body, at: Date.now(), mode });
    if (!m || m[1] !== token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (mode === 'hang') return; // never answered; closed by down()/close()
    if (mode === 'malformed') return reply(res, 200, '<html>bad gateway</html>');
    if (mode === 'rate_limited') {
      return reply(res, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry later', parameters: { retry_after: standIn.retryAfterS } });
    }
    // Quotes the path (token included), as a proxy's error page might: the client must scrub it.
    if (mode === 'error') return reply(res, 500, { ok: false, error_code: 500, description: `Internal Server Error at ${req.url}` });
    if (method === 'sendMessage') {
      standIn.sent.push({ chat_id: body.chat_id, text: body.text });
      return reply(res, 200, { ok: true, result: { message_id: nextMessageId++, chat: { id: body.chat_id }, text: body.text } });
    }
    if (method === 'getUpdates') {
      const offset = typeof body.offset === 'number' ? body.offset : 0;
      while (updates.length && updates[0]!.update_id < offset) updates.shift(); // confirmed by the offset
      const timeoutS = typeof body.timeout === 'number' ? body.timeout : 0;
      if (updates.length === 0 && timeoutS > 0) {
        let closed = false;
        res.on('close', () => {
          if (!res.writableFinished) {
            closed = true;
            abandoned++;
          }
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutS * 1000);
          function done(): void {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
          res.on('close', done);
        });
        if (closed) return;
      }
      return reply(res, 200, { ok: true, result: updates.filter((u) => u.update_id >= offset) });
    }
    return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
  }

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);

  const standIn = {
    url: `http://127.0.0.1:${port}`,
    token,
    mode: 'ok' as TelegramMode,
    retryAfterS: 1,
    calls: [] as TelegramCall[],
    sent: [] as Array<{ chat_id: unknown; text: unknown }>,
    get abandoned() {
      return abandoned;
    },
    pushMessage(chatId: number, text: string, username = 'alice') {
      updates.push({
        update_id: nextUpdateId++,
        message: { message_id: nextMessageId++, from: { id: 42, is_bot: false, first_name: 'Alice', username }, chat: { id: chatId, type: 'private' }, date: Math.floor(Date.now() / 1000), text },
      });
      for (const w of [...waiters]) w();
    },
    async down() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    async up() {
      await listen(port);
    },
    async close() {
      if (server.listening) await standIn.down();
    },
  };
  return standIn;
}
