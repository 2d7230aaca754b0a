import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, readBuffer, registerIntegration, startGateway, tempDir, waitFor, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, openStream, type StreamRecord } from './fixtures/sessions.js';

const V2 = 'opendray.v2';
let t: TestGateway;
let small: TestGateway;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('opendray-stream-');
  [t, small] = await Promise.all([
    startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 500, bufferBytes: 16 * 1024 * 1024 }),
    startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 500, bufferBytes: 4096 }),
  ]);
});
afterAll(async () => {
  await Promise.all([t.close(), small.close()]);
  await dir.remove();
});

const openV2 = (g: TestGateway, id: string, query = '', token = ADMIN_TOKEN) =>
  openStream(`${g.wsUrl}/api/v1/sessions/${id}/stream${query}`, { token, protocols: [V2] });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Replays a v2 client's frames the way a client tracks its position: hello sets it, bytes
 * advance it, a gap must start where the client is and moves it to `to`.
 */
function positionOf(rec: StreamRecord): { position: number; gaps: number } {
  let position = -1;
  let gaps = 0;
  for (const f of rec.frames) {
    if ('bytes' in f) position += f.bytes.length;
    else if (f.control.type === 'hello') position = f.control.cursor;
    else if (f.control.type === 'gap') {
      expect(f.control.from).toBe(position);
      position = f.control.to;
      gaps++;
    }
  }
  return { position, gaps };
}

describe('/stream, opendray.v2 subprotocol', () => {
  it('says hello, relays resizes both ways and ends with the final cursor', async () => {
    const s = await createSession(t, { provider_id: 'sh', cols: 80, rows: 24 });
    const { ws, rec } = await openV2(t, s.id);
    expect(ws.protocol).toBe(V2);
    await waitFor(() => rec.frames.length > 0);
    expect(rec.frames[0]).toEqual({ control: { type: 'hello', cursor: 0, cols: 80, rows: 24, state: 'running' } });
    ws.send(JSON.stringify({ type: 'resize', cols: 50, rows: 20 }));
    await waitFor(() => rec.controls('resize').length > 0);
    expect(rec.controls('resize')[0]).toEqual({ type: 'resize', cols: 50, rows: 20 });
    expect((await t.apiJson(`/sessions/${s.id}`)).body).toMatchObject({ cols: 50, rows: 20 });
    ws.send(JSON.stringify({ type: 'resize', cols: 0, rows: 20 })); // invalid: ignored
    ws.send('not json'); // ignored
    const closing = closed(ws);
    ws.send(Buffer.from('stty size; exit 9\n'));
    expect((await closing).code).toBe(1000);
    expect(rec.bytes().toString()).toContain('20 50');
    const { cursor } = await readBuffer(t, s.id);
    expect(rec.frames.at(-1)).toEqual({ control: { type: 'ended', exit_code: 9, signal: null, cursor, state: 'ended' } });
    expect(positionOf(rec).position).toBe(cursor);
  });

  it('sends a gap for bytes the ring no longer holds', async () => {
    const s = await createSession(small, { provider_id: 'sh', args: ['-c', 'seq 1 3000'] });
    await waitFor(async () => (await small.apiJson(`/sessions/${s.id}`)).body.state === 'ended');
    const buf = await readBuffer(small, s.id);
    expect(buf.bytes.length).toBe(4096);
    expect(buf.start).toBe(buf.cursor - 4096);
    const lines = Array.from({ length: 3000 }, (_, i) => `${i + 1}\r\n`).join('');
    expect(buf.cursor).toBe(Buffer.byteLength(lines));
    expect(buf.bytes.toString()).toBe(lines.slice(-4096));
    const part = await readBuffer(small, s.id, { since: buf.cursor - 10 });
    expect(part).toMatchObject({ start: buf.cursor - 10, cursor: buf.cursor });
    expect(part.bytes.toString()).toBe(lines.slice(-10));
    expect((await readBuffer(small, s.id, { since: 0 })).start).toBe(buf.start);

    const { ws, rec } = await openV2(small, s.id, '?since=0');
    await closed(ws);
    expect(rec.frames[0]).toMatchObject({ control: { type: 'hello', cursor: 0, state: 'ended' } });
    expect(rec.frames[1]).toEqual({ control: { type: 'gap', from: 0, to: buf.start } });
    expect(rec.bytes()).toEqual(buf.bytes);
    expect(positionOf(rec)).toEqual({ position: buf.cursor, gaps: 1 });
  });

  it('resumes across a disconnect during heavy output with no duplicate and no missing byte', async () => {
    const file = join(dir.path, 'payload.bin');
    const payload = randomBytes(4_000_000);
    await writeFile(file, payload);
    const script = `stty raw -echo; read go; i=0; while [ $i -lt 40 ]; do dd if=${file} bs=100000 skip=$i count=1 2>/dev/null; sleep 0.01; i=$((i+1)); done`;
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', script] });
    const first = await openV2(t, s.id, '?since=0');
    await new Promise((r) => setTimeout(r, 100));
    first.ws.send(Buffer.from('go\n'));
    await waitFor(() => first.rec.bytes().length >= 1_000_000);
    first.ws.terminate();
    const { position } = positionOf(first.rec);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.apiJson(`/sessions/${s.id}`)).body.state).toBe('running'); // still printing
    const second = await openV2(t, s.id, `?since=${position}`);
    await closed(second.ws, 20_000);
    expect(second.rec.frames[0]).toMatchObject({ control: { type: 'hello', cursor: position } });
    expect(second.rec.controls('gap')).toEqual([]);
    const received = Buffer.concat([first.rec.bytes().subarray(0, position), second.rec.bytes()]);
    expect(received.length).toBe(payload.length);
    expect(sha(received)).toBe(sha(payload));
    expect(second.rec.controls('ended')[0]).toMatchObject({ exit_code: 0, cursor: payload.length });
  });

  it('catches a slow viewer up from the ring (gap only for what was lost); others never wait', async () => {
    const s = await createSession(small, { provider_id: 'sh', args: ['-c', 'read x; head -c 40000000 /dev/zero; exit 0'] });
    const slow = await openV2(small, s.id);
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const viewers = await Promise.all([openV2(small, s.id), openV2(small, s.id)]);
    viewers[0]!.ws.send(Buffer.from('go\n'));
    await Promise.all(viewers.map((v) => closed(v.ws, 30_000)));
    const { cursor } = await readBuffer(small, s.id);
    for (const v of viewers) {
      expect(positionOf(v.rec)).toEqual({ position: cursor, gaps: 0 });
      expect(v.rec.controls('ended')).toHaveLength(1);
    }
    const slowClosed = closed(slow.ws, 30_000);
    socket.resume();
    expect((await slowClosed).code).toBe(1000);
    const { position, gaps } = positionOf(slow.rec);
    expect(gaps).toBeGreaterThan(0);
    expect(position).toBe(cursor);
    expect(slow.rec.controls('ended')).toEqual([{ type: 'ended', exit_code: 0, signal: null, cursor, state: 'ended' }]);
  });

  it('refuses writes and resizes from a read-only principal with 4003', async () => {
    const reader = await registerIntegration(t, { name: 'v2-reader', scopes: ['session:read', 'session:create'] });
    const s = await createSession(t, { provider_id: 'sh' }, reader.api_key);
    const a = await openV2(t, s.id, '', reader.api_key);
    const aClosed = closed(a.ws);
    a.ws.send(JSON.stringify({ type: 'resize', cols: 30, rows: 10 }));
    expect((await aClosed).code).toBe(4003);
    const b = await openV2(t, s.id, '', reader.api_key);
    const bClosed = closed(b.ws);
    b.ws.send(Buffer.from('echo nope\n'));
    expect((await bClosed).code).toBe(4003);
    expect((await t.apiJson(`/sessions/${s.id}`)).body.cols).toBe(120);
  });
});
