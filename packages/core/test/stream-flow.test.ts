import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, closed, readBuffer, startGateway, tempDir, waitFor, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, openStream } from './fixtures/sessions.js';
import { readControl, recordingLogger, renderScreen } from './support/slow-clients.js';

// SPEC §5.5 as amended by issue #18: the driver is lossless (the PTY waits for it), viewers
// are resynced and never closed for being slow, and only a client that stops reading for
// the stall bound loses anything — the driver its lease, a viewer its socket (1013).

const V2 = 'opendray.v2';
const MB = 1024 * 1024;
let t: TestGateway;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('opendray-flow-');
  t = await startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 500 });
});
afterAll(async () => {
  await t.close();
  await dir.remove();
});

const streamUrl = (g: TestGateway, id: string, query = '') => `${g.wsUrl}/api/v1/sessions/${id}/stream${query}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sessionOf = async (g: TestGateway, id: string) => (await g.apiJson(`/sessions/${id}`)).body;
const input = (g: TestGateway, id: string, data: string) => g.api(`/sessions/${id}/input`, { method: 'POST', body: { data } });

/** Waits until the session's output stops growing (two reads 300 ms apart agree); returns it. */
async function settledBytesOut(g: TestGateway, id: string): Promise<number> {
  let last = -1;
  return waitFor(async () => {
    const now = (await sessionOf(g, id)).bytes_out as number;
    const settled = now === last ? now : null;
    last = now;
    return settled;
  }, 30_000, 300);
}

describe('/stream flow control: the driver is lossless', () => {
  let payload: Buffer;
  let file: string;
  beforeAll(async () => {
    payload = randomBytes(50 * MB);
    file = join(dir.path, 'payload.bin');
    await writeFile(file, payload);
  });

  it.each([
    { mode: 'opendray.v2 with a flow frame', protocols: [V2], query: '' },
    { mode: 'default mode with ?flow=ack', protocols: [] as string[], query: '?flow=ack' },
  ])('$mode: receives every byte of a 50 MB cat; while it does not read, the PTY waits', async ({ protocols, query }) => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', `stty raw -echo; read go; cat ${file}`] });
    const driver = await openStream(streamUrl(t, s.id, query), { token: ADMIN_TOKEN, protocols });
    if (protocols.length) driver.ws.send(JSON.stringify({ type: 'flow', mode: 'ack' }));
    await new Promise((r) => setTimeout(r, 100));
    driver.ws.send(Buffer.from('go\n'));
    await waitFor(() => driver.rec.bytes().length >= 5 * MB, 30_000);
    const reading = readControl(driver.ws);
    reading.pause();
    const held = await settledBytesOut(t, s.id);
    // Flow control held the program back: far from the end, still running.
    expect(held).toBeLessThan(payload.length - 10 * MB);
    expect((await sessionOf(t, s.id)).state).toBe('running');
    const closing = closed(driver.ws, 60_000);
    reading.resume();
    expect((await closing).code).toBe(1000);
    const received = driver.rec.bytes();
    expect(received.length).toBe(payload.length);
    expect(sha(received)).toBe(sha(payload));
    const ended = driver.rec.controls('ended')[0];
    expect(ended.exit_code).toBe(0);
    if (protocols.length) expect(ended.cursor).toBe(payload.length);
  });

  it('a driver that asked for flow control keeps it while another client types', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', `stty raw -echo; read go; cat ${file}`] });
    const driver = await openStream(streamUrl(t, s.id, '?flow=ack'), { token: ADMIN_TOKEN });
    const typist = await openStream(streamUrl(t, s.id), { token: ADMIN_TOKEN });
    await new Promise((r) => setTimeout(r, 100));
    // The typist starts the flood and stops reading: were it the driver, the PTY would wait for it.
    typist.ws.send(Buffer.from('go\n'));
    readControl(typist.ws).pause();
    const closing = closed(driver.ws, 60_000);
    expect((await closing).code).toBe(1000);
    expect(sha(driver.rec.bytes())).toBe(sha(payload));
    expect((await sessionOf(t, s.id)).state).toBe('ended');
    typist.ws.terminate();
  });
});

describe('/stream slow viewers are resynced, never closed for being slow', () => {
  it('a default-mode viewer that stops reading during a 50 MB flood gets a repaint and ends on the right screen', async () => {
    const lines = 900_000; // ~51 MB
    const s = await createSession(t, {
      provider_id: 'sh',
      cols: 100,
      rows: 30,
      args: ['-c', `stty -echo; read go; seq -f 'line %010g of the flood, the quick brown fox jumps' 1 ${lines}; printf 'FLOOD-DONE\\n'`],
    });
    const viewer = await openStream(streamUrl(t, s.id), { token: ADMIN_TOKEN });
    const reading = readControl(viewer.ws);
    reading.pause();
    const closing = closed(viewer.ws, 120_000);
    await input(t, s.id, 'go\n');
    // Far more than its backlog bound and the ring went by while it did not read.
    await waitFor(async () => (await sessionOf(t, s.id)).bytes_out > 20 * MB, 60_000, 50);
    reading.resume();
    expect((await closing).code).toBe(1000);
    expect(viewer.rec.controls('ended')).toEqual([{ type: 'ended', exit_code: 0 }]);
    const received = viewer.rec.bytes();
    expect(received.includes('\x18\x1bc')).toBe(true); // the reset that precedes a repaint
    expect(received.length).toBeLessThan((await readBuffer(t, s.id)).cursor);
    const screen = (await t.apiJson(`/sessions/${s.id}/screen`)).body;
    expect(screen.lines.at(-2)).toBe('FLOOD-DONE');
    expect(await renderScreen(received, 100, 30)).toEqual(screen.lines);
  });

  it('a v2 viewer that stops reading is caught up with a gap for what the ring lost, and the PTY never waited', async () => {
    const s = await createSession(t, { provider_id: 'sh', args: ['-c', 'read go; head -c 30000000 /dev/zero; exit 0'] });
    const slow = await openStream(streamUrl(t, s.id), { token: ADMIN_TOKEN, protocols: [V2] });
    const reading = readControl(slow.ws);
    reading.pause();
    await input(t, s.id, 'go\n');
    await waitFor(async () => (await sessionOf(t, s.id)).state === 'ended', 60_000, 50);
    const closing = closed(slow.ws, 60_000);
    reading.resume();
    expect((await closing).code).toBe(1000);
    const { cursor } = await readBuffer(t, s.id);
    let position = -1;
    let gaps = 0;
    for (const f of slow.rec.frames) {
      if ('bytes' in f) position += f.bytes.length;
      else if (f.control.type === 'hello') position = f.control.cursor;
      else if (f.control.type === 'gap') {
        expect(f.control.from).toBe(position);
        position = f.control.to;
        gaps++;
      }
    }
    expect(gaps).toBeGreaterThan(0);
    expect(position).toBe(cursor);
  });
});

describe('/stream clients that stop reading (stall bound 1.5 s)', () => {
  let g: TestGateway;
  const logs = recordingLogger();
  beforeAll(async () => {
    g = await startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 500, logger: logs.logger, sockets: { streamStallMs: 1_500 } });
  });
  afterAll(() => g.close());

  it('a viewer that never reads is closed with 1013 only after the bound, and says why', async () => {
    const s = await createSession(g, { provider_id: 'sh', args: ['-c', 'read go; head -c 30000000 /dev/zero; sleep 30'] });
    const stuck = await openStream(streamUrl(g, s.id), { token: ADMIN_TOKEN });
    const other = await openStream(streamUrl(g, s.id), { token: ADMIN_TOKEN });
    const reading = readControl(stuck.ws);
    reading.pause();
    const pausedAt = Date.now();
    await input(g, s.id, 'go\n');
    const [droppedAt] = await logs.when('stream viewer stopped reading; closed');
    expect(droppedAt! - pausedAt).toBeGreaterThanOrEqual(1_500);
    const closing = closed(stuck.ws, 20_000);
    reading.resume();
    const { code, reason } = await closing;
    expect(code).toBe(1013);
    expect(reason).toMatch(/stopped reading/);
    // Nobody else waited: the other viewer got all 30 MB, the session still runs.
    await waitFor(() => other.rec.bytes().length >= 30_000_000, 30_000);
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    expect((await sessionOf(g, s.id)).state).toBe('running');
    other.ws.close();
    await g.api(`/sessions/${s.id}/stop`, { method: 'POST' });
  });

  it('a driver that stops reading loses flow control after the bound; the session does not freeze', async () => {
    const s = await createSession(g, { provider_id: 'sh', args: ['-c', 'read go; head -c 30000000 /dev/zero; exit 0'] });
    const driver = await openStream(streamUrl(g, s.id, '?flow=ack'), { token: ADMIN_TOKEN });
    const reading = readControl(driver.ws);
    reading.pause();
    const pausedAt = Date.now();
    await input(g, s.id, 'go\n');
    const [releasedAt] = await logs.when('stream driver stopped reading; flow control released');
    expect(releasedAt! - pausedAt).toBeGreaterThanOrEqual(1_500);
    await waitFor(async () => (await sessionOf(g, s.id)).state === 'ended', 60_000, 50);
    const closing = closed(driver.ws, 30_000);
    reading.resume();
    expect([1000, 1013]).toContain((await closing).code);
  });
});

describe('/stream control frames and flow opt-in', () => {
  it('answers text frames that are not control messages with an error frame', async () => {
    const s = await createSession(t, { provider_id: 'sh' });
    const { ws, rec } = await openStream(streamUrl(t, s.id), { token: ADMIN_TOKEN, protocols: [V2] });
    ws.send('echo typed as text\n');
    ws.send(JSON.stringify({ type: 'paste', data: 'x' }));
    ws.send(JSON.stringify({ type: 'resize', cols: 0, rows: 20 }));
    ws.send(JSON.stringify({ type: 'flow', mode: 'fast' }));
    ws.send('[1,2]');
    await waitFor(() => rec.controls('error').length === 5);
    expect(rec.controls('error').map((e) => e.code)).toEqual(['invalid_json', 'unknown_control', 'validation_failed', 'validation_failed', 'validation_failed']);
    expect(rec.controls('error')[0].message).toMatch(/binary frames/);
    expect(rec.controls('error')[1].message).toMatch(/paste/);
    expect(ws.readyState).toBe(ws.OPEN);
    ws.close();
  });

  it('refuses flow control to a read-only principal: 403 before the upgrade, 4003 for the frame', async () => {
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'flow-reader', scopes: ['session:read', 'session:create'] } });
    const key = reg.body.api_key as string;
    const s = await createSession(t, { provider_id: 'sh' }, key);
    await expect(openStream(streamUrl(t, s.id, '?flow=ack'), { token: key })).rejects.toMatchObject({ status: 403 });
    await expect(openStream(streamUrl(t, s.id, '?flow=yes'), { token: ADMIN_TOKEN })).rejects.toMatchObject({ status: 400 });
    const { ws } = await openStream(streamUrl(t, s.id), { token: key, protocols: [V2] });
    const closing = closed(ws);
    ws.send(JSON.stringify({ type: 'flow', mode: 'ack' }));
    expect((await closing).code).toBe(4003);
  });
});
