import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { createGateway } from '../../core/src/index.js';
import { OpendrayClient, OpendrayError, type EventFrame, type EventStream, type WebSocketConstructor } from '../src/index.js';

let t: TestGateway;
let admin: OpendrayClient;
let n = 0;

beforeAll(async () => {
  t = await startGateway();
  admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
});
afterAll(() => t.close());

/** Registers `count` integrations: each publishes one real `integration.registered` event. */
async function register(client: OpendrayClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await client.createIntegration({ name: `ev-${++n}` })).integration.id);
  return ids;
}

/** Reads frames until `done(frames)` holds (fails after 15 s). */
async function readUntil(stream: EventStream, done: (frames: EventFrame[]) => boolean, frames: EventFrame[] = []): Promise<EventFrame[]> {
  const deadline = Date.now() + 15_000;
  while (!done(frames)) {
    const next = await Promise.race([stream.next(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
    if (next === null) throw new Error(`timed out; got ${frames.map((f) => f.topic).join(',')}`);
    if (next.done) break;
    frames.push(next.value);
  }
  return frames;
}

const registeredIds = (frames: EventFrame[]): string[] =>
  frames.filter((f) => f.topic === 'integration.registered').map((f) => f.data.integration_id as string);

/** A `ws` WebSocket class that records every socket and URL, so a test can cut one. */
function trackingWebSocket(rewrite: (url: string) => string = (u) => u): { Ctor: WebSocketConstructor; sockets: WebSocket[]; urls: string[] } {
  const sockets: WebSocket[] = [];
  const urls: string[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(rewrite(url), protocols);
      urls.push(url);
      sockets.push(this);
    }
  }
  return { Ctor: Tracked, sockets, urls };
}

describe('client.events()', () => {
  it('surfaces _hello, then events with increasing seq; ready resolves once subscribed', async () => {
    const stream = admin.events({ topics: ['integration.registered'] });
    await stream.ready;
    const ids = await register(admin, 3);
    const frames = await readUntil(stream, (f) => registeredIds(f).length === 3);
    stream.close();
    expect(frames[0]!.topic).toBe('_hello');
    expect(registeredIds(frames)).toEqual(ids);
    const seqs = frames.slice(1).map((f) => f.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(stream.lastSeq).toBe(seqs.at(-1));
  });

  it('resumes after a forced disconnect with ?since: every event once, none missing', async () => {
    const { Ctor, sockets, urls } = trackingWebSocket();
    const client = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN, WebSocket: Ctor });
    const stream = client.events({ topics: 'integration.*', backoff: { initialMs: 400, maxMs: 800 } });
    await stream.ready;
    const before = await register(admin, 2);
    const frames = await readUntil(stream, (f) => registeredIds(f).length === 2);
    sockets[0]!.terminate();
    const during = await register(admin, 3); // published while the client is away
    await readUntil(stream, (f) => registeredIds(f).length === 5, frames);
    const after = await register(admin, 1);
    await readUntil(stream, (f) => registeredIds(f).length === 6, frames);
    stream.close();

    expect(registeredIds(frames)).toEqual([...before, ...during, ...after]);
    const seqs = frames.filter((f) => f.seq !== undefined).map((f) => f.seq!);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    expect(new URL(urls[1]!).searchParams.get('since')).toBe(String(seqs[1]));
    expect(new URL(urls[0]!).searchParams.get('token')).toBe(ADMIN_TOKEN); // injected sockets use ?token=
  });

  it('drops frames it already handed out, even when the gateway replays them again', async () => {
    // Every reconnection asks for the whole log (since=0): the SDK must still show each event once.
    const { Ctor, sockets } = trackingWebSocket((u) => (u.includes('since=') ? u.replace(/since=\d+/, 'since=0') : u));
    const client = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN, WebSocket: Ctor });
    const stream = client.events({ topics: ['integration.registered'], backoff: { initialMs: 50, maxMs: 100 } });
    await stream.ready;
    const first = await register(admin, 2);
    const frames = await readUntil(stream, (f) => registeredIds(f).length === 2);
    sockets[0]!.terminate();
    await waitFor(() => sockets.length === 2 && sockets[1]!.readyState === WebSocket.OPEN);
    const second = await register(admin, 1);
    await readUntil(stream, (f) => registeredIds(f).length >= 3, frames);
    await new Promise((r) => setTimeout(r, 200)); // room for any duplicate to show up
    stream.close();
    await readUntil(stream, () => false, frames);
    expect(registeredIds(frames)).toEqual([...first, ...second]);
  });

  it('keeps memory bounded for a slow consumer and loses nothing (bufferLimit)', async () => {
    const stream = admin.events({ topics: ['integration.registered'], bufferLimit: 4 });
    await stream.ready;
    const ids = await register(admin, 12); // nobody reads meanwhile
    const frames = await readUntil(stream, (f) => registeredIds(f).length === 12);
    stream.close();
    expect(registeredIds(frames)).toEqual(ids);
    expect(frames.filter((f) => f.topic === '_hello').length).toBeGreaterThan(1); // it paused and resumed
  });

  it('ends with a 403 missing_scope OpendrayError, with the ws fallback and with an injected WebSocket', async () => {
    const { api_key } = await admin.createIntegration({ name: `ev-scope-${++n}`, scopes: ['event:subscribe:session.*'] });
    for (const WebSocketCtor of [undefined, trackingWebSocket().Ctor]) {
      const client = new OpendrayClient({ baseUrl: t.url, token: api_key, WebSocket: WebSocketCtor });
      const stream = client.events({ topics: ['session.*', 'integration.*'] });
      const err = await readUntil(stream, () => false).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpendrayError);
      expect(err).toMatchObject({ status: 403, code: 'missing_scope' });
      expect((err as Error).message).toContain('event:subscribe:integration.*');
      await expect(stream.ready).rejects.toBe(err);
    }
  });

  it('ends with a 401 for a bad key instead of retrying forever', async () => {
    const client = new OpendrayClient({ baseUrl: t.url, token: 'odk_live_' + 'x'.repeat(43) });
    const err = await readUntil(client.events({ topics: ['session.*'] }), () => false).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('ends with a 401 when the key is revoked while connected (4001)', async () => {
    const { integration, api_key } = await admin.createIntegration({ name: `ev-rev-${++n}`, scopes: ['event:subscribe:session.*'] });
    const stream = new OpendrayClient({ baseUrl: t.url, token: api_key }).events({ topics: ['session.*'] });
    await stream.ready;
    await admin.rotateKey(integration.id);
    const err = await readUntil(stream, () => false).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('rejects malformed topics before connecting', () => {
    expect(() => admin.events({ topics: [] })).toThrow(/topics/);
    expect(() => admin.events({ topics: ['Bad Topic'] })).toThrow(OpendrayError);
  });

  it('an aborted signal ends the iteration without an error', async () => {
    const controller = new AbortController();
    const stream = admin.events({ topics: ['session.*'], signal: controller.signal });
    await stream.ready;
    setTimeout(() => controller.abort(), 50);
    const frames = await readUntil(stream, () => false);
    expect(frames.map((f) => f.topic)).toEqual(['_hello']);
  });

  it('resumes across a gateway restart (new epoch) and delivers the new instance’s events', async () => {
    const first = await createGateway({ bcryptCost: 4, auth: { adminToken: ADMIN_TOKEN } });
    const { url, port } = await first.listen(0, '127.0.0.1');
    const client = new OpendrayClient({ baseUrl: url, token: ADMIN_TOKEN });
    const stream = client.events({ topics: ['integration.registered'], backoff: { initialMs: 1_000, maxMs: 1_500 } });
    await stream.ready;
    await register(client, 2);
    const frames = await readUntil(stream, (f) => registeredIds(f).length === 2);
    await first.close();
    const second = await createGateway({ bcryptCost: 4, auth: { adminToken: ADMIN_TOKEN } });
    try {
      await second.listen(port, '127.0.0.1');
      const fresh = await register(client, 4); // more events than the old seq: a naive resume would skip some
      await readUntil(stream, (f) => registeredIds(f).length === 6, frames);
      stream.close();
      expect(registeredIds(frames).slice(2)).toEqual(fresh);
      const epochs = new Set(frames.filter((f) => f.topic === '_hello').map((f) => f.data.epoch));
      expect(epochs.size).toBe(2);
    } finally {
      await second.close();
    }
  });
});

describe('client.wsEvents() (v2 shape)', () => {
  it('calls onEvent per frame and onClose once on close()', async () => {
    const seen: EventFrame[] = [];
    const closes: number[] = [];
    const ws = admin.wsEvents(['integration.*'], (ev) => seen.push(ev), (code) => closes.push(code));
    await ws.opened;
    const [id] = await register(admin, 1);
    await waitFor(() => seen.some((e) => e.topic === 'integration.registered' && e.data.integration_id === id));
    ws.close();
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([1000]);
  });

  it('passes a refusal to onClose with the gateway error', async () => {
    const { api_key } = await admin.createIntegration({ name: `ev-v2-${++n}`, scopes: ['session:read'] });
    const client = new OpendrayClient({ baseUrl: t.url, token: api_key });
    const result = await new Promise<{ code: number; error?: OpendrayError }>((resolve) => {
      client.wsEvents('session.*', () => undefined, (code, _reason, error) => resolve({ code, error }));
    });
    expect(result.code).toBe(1006);
    expect(result.error).toMatchObject({ status: 403, code: 'missing_scope' });
  });
});
