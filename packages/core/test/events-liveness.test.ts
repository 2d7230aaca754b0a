import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, registerIntegration, startGateway, waitFor, type TestGateway } from './support/gateway.js';
import { eventsUrl, openEvents, type EventsClient } from './support/events.js';

let t: TestGateway | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await t?.close();
  t = undefined;
});

const open = async (query: string, token: string = ADMIN_TOKEN): Promise<EventsClient> => {
  const c = await openEvents(t!, query, token);
  sockets.push(c.ws);
  await c.until((f) => f.topic === '_hello');
  return c;
};

/**
 * A light events client for volume: keeps topic, seq and gap ranges, not the data, and
 * can stop reading its socket (`ws._socket.pause()`) like a stuck consumer.
 */
async function openLight(query: string) {
  const ws = new WebSocket(eventsUrl(t!, query), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  sockets.push(ws);
  const seqs: number[] = [];
  const gaps: Array<{ from: number; to: number }> = [];
  ws.on('message', (buf: Buffer) => {
    const f = JSON.parse(buf.toString()) as { topic: string; seq?: number; data: { from: number; to: number } };
    if (f.topic === '_gap') gaps.push(f.data);
    else if (f.topic !== '_hello') seqs.push(f.seq!);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return { ws, seqs, gaps, pause: () => socket.pause(), resume: () => socket.resume() };
}

const CHUNK = 'x'.repeat(64 * 1024);

/** Publishes `count` 64 KiB session.output events, letting `keepUp` readers stay within ~1 MiB. */
async function publishVolume(count: number, keepUp: { seqs: number[] }[]): Promise<void> {
  const bus = t!.gateway.bus;
  for (let i = 0; i < count; i++) {
    const e = bus.publish<string>('session.output', { session_id: 'ses_1', data: CHUNK, offset: i * CHUNK.length, bytes: CHUNK.length });
    if (i % 16 === 15) await waitFor(() => keepUp.every((r) => (r.seqs.at(-1) ?? 0) >= e.seq - 16), 20_000, 2);
  }
}

describe('events: a slow consumer (SPEC §6 backpressure)', () => {
  it('loses its backlog with an explicit _gap once it drains; the others get everything', async () => {
    t = await startGateway();
    const fast = await openLight('topics=session.*');
    const other = await openLight('topics=*');
    const slow = await openLight('topics=session.output');
    slow.pause();
    await publishVolume(600, [fast, other]);
    slow.resume();
    await waitFor(() => slow.gaps.length > 0, 20_000);
    const last = t.gateway.bus.publish<string>('session.ended', { session_id: 'ses_1' }).seq;
    const final = t.gateway.bus.publish<string>('session.output', { session_id: 'ses_1', data: 'tail' }).seq;
    await waitFor(() => slow.seqs.includes(final) && fast.seqs.includes(final) && other.seqs.includes(final), 20_000);

    const all = Array.from({ length: final }, (_, i) => i + 1);
    expect(fast.seqs).toEqual(all);
    expect(other.seqs).toEqual(all);
    expect(fast.gaps).toEqual([]);
    // Every session.output seq is either delivered once or inside an announced gap.
    const covered = [...slow.seqs];
    for (const g of slow.gaps) for (let s = g.from; s <= g.to; s++) covered.push(s);
    expect(covered.sort((a, b) => a - b)).toEqual(all.filter((s) => s !== last));
    expect(slow.seqs).toEqual([...slow.seqs].sort((a, b) => a - b));
    expect(slow.seqs.length).toBeLessThan(final - 1);
  });

  it('drops a consumer whose backlog makes no progress for the 5 s write timeout', async () => {
    t = await startGateway();
    const fast = await openLight('topics=session.*');
    const stuck = await openLight('topics=session.*');
    stuck.pause();
    await publishVolume(600, [fast]);
    await new Promise((r) => setTimeout(r, 6_500));
    stuck.resume();
    expect((await closed(stuck.ws, 15_000)).code).toBe(1006);
    expect(stuck.gaps).toEqual([]);
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('events: client frames (SPEC §6)', () => {
  it('ignores client frames and closes with 1009 on one over 4 KiB', async () => {
    t = await startGateway();
    const c = await open('topics=session.*');
    c.ws.send('{"hello":"server"}');
    c.ws.send(Buffer.from([1, 2, 3]));
    c.ws.send('y'.repeat(4096));
    t.gateway.bus.publish<string>('session.idle', { session_id: 'ses_1' });
    await c.until((f) => f.topic === 'session.idle');
    const closing = closed(c.ws);
    c.ws.send('z'.repeat(4097));
    expect((await closing).code).toBe(1009);
  });
});

describe('events: revocation and shutdown (SPEC §2.2)', () => {
  it('closes an integration socket with 4001 within 1 s on rotate, disable and delete', async () => {
    t = await startGateway();
    const admin = await open('topics=*');
    const bystander = await registerIntegration(t, { name: 'bystander', scopes: ['event:subscribe:session.*'] });
    const keep = await open('topics=session.*', bystander.api_key);
    const actions: Array<(id: string) => Promise<unknown>> = [
      (id) => t!.api(`/integrations/${id}/rotate-key`, { method: 'POST', body: {} }),
      (id) => t!.api(`/integrations/${id}`, { method: 'PATCH', body: { enabled: false } }),
      (id) => t!.api(`/integrations/${id}`, { method: 'DELETE' }),
    ];
    for (const [i, act] of actions.entries()) {
      const reg = await registerIntegration(t, { name: `bot-${i}`, scopes: ['event:subscribe:session.*'] });
      const c = await open('topics=session.*', reg.api_key);
      const closing = closed(c.ws, 1_000);
      await act(reg.integration.id);
      expect((await closing).code).toBe(4001);
    }
    expect(admin.ws.readyState).toBe(WebSocket.OPEN);
    expect(keep.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes every events socket with 1001 when the gateway closes', async () => {
    t = await startGateway();
    const reg = await registerIntegration(t, { name: 'bot', scopes: ['event:subscribe:session.*'] });
    const admin = await open('topics=*');
    const integration = await open('topics=session.*', reg.api_key);
    const closings = [closed(admin.ws), closed(integration.ws)];
    await t.close();
    t = undefined;
    expect((await Promise.all(closings)).map((c) => c.code)).toEqual([1001, 1001]);
  });
});
