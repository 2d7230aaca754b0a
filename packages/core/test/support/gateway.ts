import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/index.js';

/** The static admin token every test gateway accepts. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestGateway {
  gateway: Gateway;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** e.g. `ws://127.0.0.1:41234` */
  wsUrl: string;
  /** fetch under `/api/v1` with the admin token (or `token`, or none with `token: null`). */
  api(path: string, init?: ApiInit): Promise<Response>;
  /** Like `api`, then parses JSON (throws on a non-JSON body). */
  apiJson<T = any>(path: string, init?: ApiInit): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export interface ApiInit extends Omit<RequestInit, 'body'> {
  /** Bearer token; default the admin token; null sends none. */
  token?: string | null;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

/**
 * Starts a real gateway on 127.0.0.1, port 0, with a fast bcrypt cost and the static
 * admin token. The one way tests start a gateway. Sessions run unsandboxed unless a test
 * asks for `sandbox` (the isolation suite does): most tests are about the API, and this
 * keeps them independent of bubblewrap; the environment allow-list and the descriptor
 * shim apply either way.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const gateway = await createGateway({
    bcryptCost: 4,
    sandbox: 'off',
    ...options,
    auth: { adminToken: ADMIN_TOKEN, ...options.auth },
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  const api = (path: string, init: ApiInit = {}): Promise<Response> => {
    const { token = ADMIN_TOKEN, body, headers, ...rest } = init;
    const h = new Headers(headers as HeadersInit | undefined);
    if (token !== null) h.set('authorization', `Bearer ${token}`);
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body as BodyInit;
      else {
        payload = JSON.stringify(body);
        if (!h.has('content-type')) h.set('content-type', 'application/json');
      }
    }
    return fetch(`${url}/api/v1${path}`, { ...rest, headers: h, body: payload });
  };
  return {
    gateway,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    api,
    async apiJson(path, init) {
      const res = await api(path, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    close: () => gateway.close(),
  };
}

/** Registers an integration as admin; returns its record and plaintext key. */
export async function registerIntegration(
  t: TestGateway,
  body: Record<string, unknown>,
): Promise<{ integration: any; api_key: string; signing_secret?: string }> {
  const res = await t.apiJson('/integrations', { method: 'POST', body });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Opens a WebSocket and resolves once open; rejects with the HTTP status on refusal. */
export function openWs(url: string, opts: { token?: string; protocols?: string | string[]; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  const headers = { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
  const ws = new WebSocket(url, opts.protocols ?? [], { headers });
  inboxOf(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

interface Inbox {
  queue: Array<{ msg: unknown; isBinary: boolean }>;
  wakers: Set<() => void>;
}
const inboxes = new WeakMap<WebSocket, Inbox>();

/**
 * Every message a socket receives, kept from the moment it is created: a frame the server
 * sends right after the upgrade can arrive before a test starts waiting for it.
 */
function inboxOf(ws: WebSocket): Inbox {
  let inbox = inboxes.get(ws);
  if (inbox) return inbox;
  const created: Inbox = { queue: [], wakers: new Set() };
  inboxes.set(ws, created);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    let msg: unknown = data;
    if (!isBinary) {
      try {
        msg = JSON.parse(data.toString());
      } catch {
        msg = data.toString();
      }
    }
    created.queue.push({ msg, isBinary });
    for (const wake of created.wakers) wake();
  });
  inbox = created;
  return inbox;
}

/**
 * Resolves with the next message that satisfies `predicate` (text parsed as JSON when
 * possible); messages before it that do not satisfy it are consumed.
 */
export async function nextMessage<T = any>(ws: WebSocket, predicate: (msg: any, isBinary: boolean) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  const inbox = inboxOf(ws);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    while (inbox.queue.length) {
      const item = inbox.queue.shift()!;
      if (predicate(item.msg, item.isBinary)) return item.msg as T;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error('timed out waiting for a message');
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        inbox.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, remaining);
      inbox.wakers.add(wake);
    });
  }
}

/** Resolves with the close code and reason. */
export function closed(ws: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === ws.CLOSED) return resolve({ code: 1006, reason: '' });
    const timer = setTimeout(() => reject(new Error('timed out waiting for close')), timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** A fresh temp dir, removed by the returned function. */
export async function tempDir(prefix = 'opendray-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A session's `/buffer` (as admin, or `token`): the bytes and the two cursor headers. */
export async function readBuffer(
  t: TestGateway,
  sessionId: string,
  opts: { since?: number; token?: string } = {},
): Promise<{ status: number; bytes: Buffer; start: number; cursor: number }> {
  const query = opts.since === undefined ? '' : `?since=${opts.since}`;
  const res = await t.api(`/sessions/${sessionId}/buffer${query}`, opts.token ? { token: opts.token } : {});
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    bytes,
    start: Number(res.headers.get('x-opendray-buffer-start')),
    cursor: Number(res.headers.get('x-opendray-buffer-cursor')),
  };
}

/** Waits until a session's buffer text matches `pattern`; resolves with that text. */
export async function waitForOutput(t: TestGateway, sessionId: string, pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
  let last = '';
  try {
    return await waitFor(async () => {
      last = (await readBuffer(t, sessionId)).bytes.toString('utf8');
      return (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) ? last : null;
    }, timeoutMs, 50);
  } catch {
    throw new Error(`output never matched ${String(pattern)}; last buffer: ${JSON.stringify(last.slice(-500))}`);
  }
}
