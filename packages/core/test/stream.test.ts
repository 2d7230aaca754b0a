import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, openWs, readBuffer, registerIntegration, startGateway, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, openStream } from './fixtures/sessions.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 500 });
});
afterAll(() => t.close());

const streamUrl = (id: string, query = '') => `${t.wsUrl}/api/v1/sessions/${id}/stream${query}`;
const open = (id: string, opts: { token?: string; query?: string } = {}) => openWs(streamUrl(id, opts.query), { token: opts.token ?? ADMIN_TOKEN });
const openRec = (id: string, opts: { token?: string; query?: string } = {}) => openStream(streamUrl(id, opts.query), { token: opts.token ?? ADMIN_TOKEN });

describe('/stream, default (compatible) mode', () => {
  it('round-trips an echo: client frames are input, PTY output comes back as binary frames', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    const { ws, rec } = await openRec(s.id);
    ws.send('echo ws-$((3+4))\n');
    await waitFor(() => rec.bytes().toString().includes('ws-7'));
    ws.send(Buffer.from('echo bin-$((4+4))\n'), { binary: true });
    await waitFor(() => rec.bytes().toString().includes('bin-8'));
    // A second viewer gets the ring first, as one binary frame.
    const late = await openRec(s.id);
    await waitFor(() => late.rec.frames.length > 0);
    expect(late.rec.frames[0]).toHaveProperty('bytes');
    expect(late.rec.bytes().toString()).toContain('bin-8');
    ws.close();
    late.ws.close();
  });

  it('resumes from ?since without repeating what the client had', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    await t.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo part-$((1+1))\n' } });
    await waitForOutput(t, s.id, 'part-2');
    const { cursor, bytes: all } = await readBuffer(t, s.id);
    const { ws, rec } = await openRec(s.id, { query: `?since=${cursor - 5}` });
    await waitFor(() => rec.frames.length > 0);
    expect(rec.frames[0]).toEqual({ bytes: all.subarray(all.length - 5) });
    ws.close();
  });

  it('sends {"type":"ended","exit_code":N} then closes 1000, live and after the end', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'read x; echo bye; exit 3'] });
    const { ws: live, rec } = await openRec(s.id);
    const closing = closed(live);
    live.send('go\n');
    expect((await closing).code).toBe(1000);
    expect(rec.bytes().toString()).toContain('bye');
    expect(rec.frames.at(-1)).toEqual({ control: { type: 'ended', exit_code: 3 } });

    const { ws: after, rec: rec2 } = await openRec(s.id);
    expect((await closed(after)).code).toBe(1000);
    expect(rec2.frames).toHaveLength(2);
    expect(rec2.bytes().toString()).toContain('bye');
    expect(rec2.frames[1]).toEqual({ control: { type: 'ended', exit_code: 3 } });
  });

  it('does not type terminal query replies (DA, CPR) into the PTY', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'stty -echo; read -r line; printf "got[%s]" "$line"; sleep 5'] });
    const ws = await open(s.id);
    await new Promise((r) => setTimeout(r, 200));
    ws.send('\x1b[?1;2c\x1b[>0;276;0c\x1b[12;40Rabc\n');
    await waitForOutput(t, s.id, 'got[');
    expect((await waitForOutput(t, s.id, /got\[.*\]/)).match(/got\[(.*)\]/)![1]).toBe('abc');
    ws.close();
  });

  it('closes a read-only client that writes with 4003, and the input never arrives', async () => {
    const reader = await registerIntegration(t, { name: 'stream-reader', scopes: ['session:read', 'session:create'] });
    const s = await createSession(t, { provider_id: 'sh' }, reader.api_key);
    const { ws, rec } = await openRec(s.id, { token: reader.api_key });
    await t.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo visible-$((2*3))\n' } });
    await waitFor(() => rec.bytes().toString().includes('visible-6'));
    ws.send('echo sneaky-$((9*9))\n');
    expect((await closed(ws)).code).toBe(4003);
    await new Promise((r) => setTimeout(r, 200));
    expect((await readBuffer(t, s.id)).bytes.toString()).not.toContain('sneaky');
  });

  it('closes a client whose frame exceeds the cap with 1009; the session keeps running', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    const ws = await open(s.id);
    ws.on('error', () => {});
    ws.send(Buffer.alloc(1024 * 1024 + 1, 0x61));
    expect((await closed(ws)).code).toBe(1009);
    const again = await open(s.id);
    again.send('echo alive-$((6+6))\n');
    await waitForOutput(t, s.id, 'alive-12');
    again.close();
  });

  it('resyncs a viewer that cannot keep up instead of closing it, without slowing the PTY or other viewers', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'read x; head -c 40000000 /dev/zero; exit 0'] });
    const slow = await open(s.id);
    const slowFrames: Buffer[] = [];
    slow.on('message', (d: Buffer, isBinary: boolean) => isBinary && slowFrames.push(Buffer.from(d)));
    (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const { ws: fast, rec } = await openRec(s.id);
    const fastClosed = closed(fast, 30_000);
    fast.send('go\n');
    expect((await fastClosed).code).toBe(1000);
    const ended = rec.controls('ended');
    expect(ended).toEqual([{ type: 'ended', exit_code: 0 }]);
    const { cursor } = await readBuffer(t, s.id);
    expect(rec.bytes().length).toBe(cursor);
    const slowClosed = closed(slow, 30_000);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slowClosed).code).toBe(1000);
    // It missed most of the flood and was brought back with a reset and a repaint.
    expect(Buffer.concat(slowFrames).includes('\x18\x1bc')).toBe(true);
  });

  it('closes an integration stream with 4001 when its key is rotated', async () => {
    const owner = await registerIntegration(t, { name: 'rotating', scopes: ['session:read', 'session:create'] });
    const s = await createSession(t, { provider_id: 'sh' }, owner.api_key);
    const ws: WebSocket = await open(s.id, { token: owner.api_key });
    const closing = closed(ws);
    await t.api(`/integrations/${owner.integration.id}/rotate-key`, { method: 'POST', body: {} });
    expect((await closing).code).toBe(4001);
  });
});
