import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { TEST_PROVIDERS } from '../../core/test/fixtures/sessions.js';
import { OpendrayClient, type AttachOptions, type Attachment, type ExitInfo, type WebSocketConstructor } from '../src/index.js';

let t: TestGateway;
let admin: OpendrayClient;

beforeAll(async () => {
  t = await startGateway({ providers: TEST_PROVIDERS, bufferBytes: 4096, stopGraceMs: 1_000 });
  admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
});
afterAll(() => t.close());

/** An attachment whose output, gaps and exit are recorded. */
function record(client: OpendrayClient, id: string, extra: Partial<AttachOptions> = {}) {
  const chunks: Uint8Array[] = [];
  const gaps: { from: number; to: number }[] = [];
  const exits: ExitInfo[] = [];
  const attachment: Attachment = client.attach(id, {
    onData: (b) => chunks.push(b),
    onGap: (g) => gaps.push(g),
    onExit: (e) => exits.push(e),
    ...extra,
  });
  const bytes = (): Buffer => Buffer.concat(chunks);
  const text = (): string => bytes().toString('utf8');
  return { attachment, bytes, text, gaps, exits, until: (needle: string) => waitFor(() => text().includes(needle)) };
}

function trackingWebSocket(): { Ctor: WebSocketConstructor; sockets: WebSocket[]; urls: string[] } {
  const sockets: WebSocket[] = [];
  const urls: string[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      urls.push(url);
      sockets.push(this);
    }
  }
  return { Ctor: Tracked, sockets, urls };
}

describe('client.attach()', () => {
  it('streams output, writes input, resizes, and reports the exit', async () => {
    const s = await admin.createSession({ provider_id: 'sh', cols: 80, rows: 24 });
    const hellos: number[] = [];
    const r = record(admin, s.id, { onHello: (h) => hellos.push(h.cursor) });
    expect(r.attachment.write('echo attached-$((6*7))\n')).toBe(true); // queued until the hello
    await r.until('attached-42');
    expect(hellos).toEqual([0]);
    r.attachment.resize(70, 20);
    await waitFor(async () => (await admin.getSession(s.id)).cols === 70);
    r.attachment.write('stty size; exit 3\n');
    const end = await r.attachment.closed;
    expect(end).toMatchObject({ reason: 'exit', exit: { exit_code: 3 } });
    expect(r.exits).toHaveLength(1);
    expect(r.text()).toContain('20 70');
    const final = await admin.getSession(s.id);
    expect(r.attachment.cursor).toBe(final.bytes_out);
    expect(r.bytes().equals(Buffer.from((await admin.getBuffer(s.id)).bytes))).toBe(true);
    expect(r.attachment.write('late')).toBe(false);
  });

  it('resumes transparently after a disconnect: every byte once, none missing', async () => {
    const s = await admin.createSession({ provider_id: 'sh' });
    const { Ctor, sockets, urls } = trackingWebSocket();
    const client = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN, WebSocket: Ctor });
    const r = record(client, s.id, { backoff: { initialMs: 300, maxMs: 600 } });
    r.attachment.write('echo one-$((1+0))\n');
    await r.until('one-1');
    const cut = r.attachment.cursor;
    sockets[0]!.terminate();
    await admin.sendInput(s.id, 'echo two-$((1+1))\n'); // printed while detached
    expect(r.attachment.write('echo three-$((1+2))\n')).toBe(true); // queued while reconnecting
    await r.until('three-3');
    expect(new URL(urls[1]!).searchParams.get('since')).toBe(String(cut));
    await waitFor(async () => (await admin.getSession(s.id)).bytes_out === r.attachment.cursor);
    const ring = Buffer.from((await admin.getBuffer(s.id)).bytes);
    expect(r.bytes().equals(ring)).toBe(true);
    expect(r.text()).toContain('two-2');
    r.attachment.close();
    expect(await r.attachment.closed).toEqual({ reason: 'closed' });
    expect((await admin.getSession(s.id)).state).toMatch(/running|idle/); // detaching leaves it running
    await admin.deleteSession(s.id);
  });

  it('starts from `since` and reports bytes the ring lost as a gap', async () => {
    const s = await admin.createSession({ provider_id: 'sh', args: ['-c', 'i=0; while [ $i -lt 800 ]; do echo "line $i"; i=$((i+1)); done'] });
    await waitFor(async () => (await admin.getSession(s.id)).state === 'ended');
    const total = (await admin.getSession(s.id)).bytes_out;
    expect(total).toBeGreaterThan(4096);
    const r = record(admin, s.id, { since: 0 });
    const end = await r.attachment.closed;
    expect(end.reason).toBe('exit');
    expect(r.gaps).toEqual([{ from: 0, to: total - 4096 }]);
    expect(r.bytes().length).toBe(4096);
    expect(r.text().trimEnd().endsWith('line 799')).toBe(true);

    const tail = record(admin, s.id, { since: total - 9 });
    await tail.attachment.closed;
    expect(tail.text()).toBe('line 799\r\n'.slice(-9));
    expect(tail.gaps).toEqual([]);
  });

  it('ends with onError for an unknown session (ws fallback and injected WebSocket)', async () => {
    for (const WebSocketCtor of [undefined, trackingWebSocket().Ctor]) {
      const client = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN, WebSocket: WebSocketCtor });
      const errors: unknown[] = [];
      const a = client.attach('ses_doesnotexist', { onData: () => undefined, onError: (e) => errors.push(e) });
      const end = await a.closed;
      expect(end.reason).toBe('error');
      expect(errors[0]).toMatchObject({ status: 404, code: 'not_found' });
    }
  });

  it('a read-only integration can watch; its first keystroke ends the attachment with missing_scope', async () => {
    const { api_key } = await admin.createIntegration({ name: 'sdk-watcher', scopes: ['session:read', 'session:create'] });
    const watcher = new OpendrayClient({ baseUrl: t.url, token: api_key });
    const s = await watcher.createSession({ provider_id: 'sh' });
    const r = record(watcher, s.id);
    await admin.sendInput(s.id, 'echo watched-$((2*4))\n');
    await r.until('watched-8');
    r.attachment.write('x');
    const end = await r.attachment.closed;
    expect(end).toMatchObject({ reason: 'error', error: { status: 403, code: 'missing_scope' } });
  });

  it("socketAuth 'ticket' puts a fresh single-use ticket in every (re)connection's URL, never the token", async () => {
    const { Ctor, sockets, urls } = trackingWebSocket();
    const client = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN, WebSocket: Ctor, socketAuth: 'ticket' });
    const s = await client.createSession({ provider_id: 'sh' });
    const r = record(client, s.id);
    r.attachment.write('echo ticketed-$((3*5))\n');
    await r.until('ticketed-15');
    sockets[0]!.terminate(); // a network drop: the attachment reconnects with a new ticket
    r.attachment.write('echo again-$((4*5))\n');
    await r.until('again-20');
    r.attachment.close();
    const events = client.events({ topics: ['session.*'] });
    await events.ready;
    events.close();
    expect(urls.length).toBeGreaterThanOrEqual(3);
    const tickets = urls.map((u) => new URL(u).searchParams.get('ticket'));
    for (const u of urls) expect(u).not.toContain(ADMIN_TOKEN);
    expect(tickets.every((tk) => /^odw_/.test(tk ?? ''))).toBe(true);
    expect(new Set(tickets).size).toBe(tickets.length);
  });
});
