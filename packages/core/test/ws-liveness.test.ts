import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, startGateway, type TestGateway } from './support/gateway.js';
import { eventsUrl } from './support/events.js';
import { TEST_PROVIDERS, createSession } from './fixtures/sessions.js';
import { readControl, recordingLogger } from './support/slow-clients.js';

// SPEC §5.5 / §6 heartbeat: "a peer that does not answer within 40 s is dropped" — counted
// from the unanswered ping, so a client that stops reading is never dropped sooner, whatever
// the phase of the ping timer. Scaled down here: ping every 200 ms, answer within 1 s.

const PING_MS = 200;
const PONG_TIMEOUT_MS = 1_000;
// A client that stops reading while a ping is already on its way has, from the server's
// side, stopped at that ping: allow the few milliseconds such a ping can be in flight.
const IN_FLIGHT_MS = 20;
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** Pauses clients at staggered moments of the ping cycle; checks each went ≥ the timeout unanswered before it was dropped with 1013. */
async function pausedClientsAreDroppedOnlyAfterTheTimeout(urls: string[], dropMessage: string, logs: ReturnType<typeof recordingLogger>) {
  const sockets = await Promise.all(urls.map(open));
  const pausedAt: number[] = [];
  // Paused 50, 100, 150… ms after connecting: before the first ping is answered, where the
  // old heartbeat (counting from the last answer, or the connect) dropped them 50+ ms early.
  for (const ws of sockets) {
    await new Promise((r) => setTimeout(r, 50));
    readControl(ws).pause();
    pausedAt.push(Date.now());
  }
  await logs.when(dropMessage);
  const drops = await new Promise<number[]>((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const check = () => {
      const at = logs.entries.filter((e) => e.msg === dropMessage).map((e) => e.at);
      if (at.length >= sockets.length) return resolve(at);
      if (Date.now() > deadline) return reject(new Error(`only ${at.length} drops`));
      setTimeout(check, 50);
    };
    check();
  });
  // Each socket went at least the timeout unanswered: matching sorted drops to sorted pauses
  // is implied by (and as strict as) each drop being ≥ the timeout after its own pause.
  drops.sort((a, b) => a - b);
  for (const [i, at] of drops.entries()) expect(at - pausedAt[i]!).toBeGreaterThanOrEqual(PONG_TIMEOUT_MS - IN_FLIGHT_MS);
  const codes = await Promise.all(
    sockets.map((ws) => {
      const closing = closed(ws, 10_000);
      readControl(ws).resume();
      return closing;
    }),
  );
  for (const c of codes) {
    expect(c.code).toBe(1013);
    expect(c.reason).toMatch(/no answer to ping/);
  }
}

describe('heartbeat: a client that stops reading on an idle connection', () => {
  it('/stream: dropped only after the pong timeout, with 1013', async () => {
    const logs = recordingLogger();
    t = await startGateway({ providers: TEST_PROVIDERS, logger: logs.logger, sockets: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_TIMEOUT_MS } });
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'sleep 60'] });
    const url = `${t.wsUrl}/api/v1/sessions/${s.id}/stream`;
    await pausedClientsAreDroppedOnlyAfterTheTimeout([url, url, url, url], 'stream client left a ping unanswered; closed', logs);
  });

  it('/integrations/_events: dropped only after the pong timeout, with 1013', async () => {
    const logs = recordingLogger();
    t = await startGateway({ logger: logs.logger, sockets: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_TIMEOUT_MS } });
    const url = eventsUrl(t, 'topics=session.*');
    await pausedClientsAreDroppedOnlyAfterTheTimeout([url, url, url, url], 'events subscriber left a ping unanswered; closed', logs);
  });

  it('a client that keeps answering is never dropped', async () => {
    t = await startGateway({ sockets: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_TIMEOUT_MS } });
    const ws = await open(eventsUrl(t, 'topics=session.*'));
    let pings = 0;
    ws.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, PONG_TIMEOUT_MS * 3));
    expect(pings).toBeGreaterThanOrEqual(5);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
