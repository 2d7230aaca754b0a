import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAnthropic } from './anthropic.js';
import { handleGemini } from './gemini.js';
import { handleOpenAi } from './openai.js';
import { Script, type ScriptedAnswer } from './script.js';

export { TOOL_FILE } from './script.js';

/** One request the stand-in received, with what it answered and when its last byte left. */
export interface StandInRecord {
  seq: number;
  at: number;
  method: string;
  path: string;
  api: 'anthropic' | 'openai' | 'gemini' | 'other';
  /** `turn`: a scripted conversation answer; `side`: title/router/count requests; `other`: anything else. */
  kind: 'turn' | 'side' | 'other';
  /** The parsed JSON body (undefined for none or not JSON). */
  body: unknown;
  /** The raw body text (every message the CLI sent, e.g. for resume checks). */
  raw: string;
  answer?: ScriptedAnswer;
  /** When the last byte of the answer was written (Date.now()). */
  lastByteAt?: number;
}

/** A local stand-in for the three vendors' streaming model APIs (AGENT-CLIS.md). */
export interface ModelStandIn {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  log: StandInRecord[];
  /** Scripted turn answers only (`kind: 'turn'`). */
  turns(): StandInRecord[];
  close(): Promise<void>;
}

export interface StandInOptions {
  /** Wait before the first token of a turn answer (what a real model's latency looks like). @default 300 */
  firstTokenDelayMs?: number;
}

/** What an API adapter gets for one request. */
export interface AdapterContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: unknown;
  record: StandInRecord;
  script: Script;
  firstTokenDelayMs: number;
  /** Writes the SSE events one by one and stamps `lastByteAt` after the last. */
  sendSse(events: Array<{ event?: string; data: unknown }>): Promise<void>;
  sendJson(status: number, body: unknown): void;
}

/** Starts the stand-in on 127.0.0.1, port 0. */
export async function startModelStandIn(options: StandInOptions = {}): Promise<ModelStandIn> {
  const log: StandInRecord[] = [];
  const script = new Script();
  const firstTokenDelayMs = options.firstTokenDelayMs ?? 300;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const record: StandInRecord = { seq: log.length + 1, at: Date.now(), method: req.method ?? 'GET', path, api: 'other', kind: 'other', body, raw };
      log.push(record);
      const ctx: AdapterContext = {
        req,
        res,
        path,
        body,
        record,
        script,
        firstTokenDelayMs,
        async sendSse(events) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
          for (const e of events) {
            res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`);
          }
          await new Promise<void>((resolve) => res.end(resolve));
          record.lastByteAt = Date.now();
        },
        sendJson(status, payload) {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload), () => (record.lastByteAt = Date.now()));
        },
      };
      const handled = handleAnthropic(ctx) || handleOpenAi(ctx) || handleGemini(ctx);
      if (!handled) {
        if (req.method === 'HEAD' || req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(req.method === 'HEAD' ? undefined : '{}');
        } else ctx.sendJson(404, { error: { message: `stand-in: no route for ${req.method} ${path}` } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    turns: () => log.filter((r) => r.kind === 'turn'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
