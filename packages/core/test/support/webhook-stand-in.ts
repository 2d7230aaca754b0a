import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body as received. */
  raw: string;
  /** The body parsed as JSON (undefined when it was not JSON). */
  json: any;
}

/**
 * A local HTTP receiver standing in for an outbound webhook target (our own or a Slack
 * incoming webhook, which answers 200 `ok`). `status` sets the answer; `hang` never answers.
 */
export interface WebhookStandIn {
  /** Base URL; post to any path under it, e.g. `${url}/services/T000/B000/XXXX`. */
  readonly url: string;
  status: number;
  hang: boolean;
  readonly received: ReceivedPost[];
  close(): Promise<void>;
}

export async function startWebhookStandIn(): Promise<WebhookStandIn> {
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    standIn.received.push({ path: req.url ?? '/', headers: req.headers, raw, json });
    if (standIn.hang) return;
    res.writeHead(standIn.status, { 'content-type': 'text/plain' }).end(standIn.status < 300 ? 'ok' : 'failure');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn: WebhookStandIn = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    status: 200,
    hang: false,
    received: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  return standIn;
}
