import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpendray, type ServedGateway } from '../../demo-client/test/support/serve.js';

const BOT = fileURLToPath(new URL('../bot.mjs', import.meta.url));
const PREFIX = 'slackbot';
const CHAT_TOKEN = 'chat-stand-in-token';

let gw: ServedGateway;
let chat: Server;
let chatUrl: string;
const chatMessages: string[] = [];
let bot: ChildProcess;
let botOut = '';
let botUrl: string;
let integrationId: string;
let signingSecret: string;

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nbot output:\n${botOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${gw.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${gw.adminToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function sign(method: string, target: string, timestamp: number, secret = signingSecret): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`v1:${timestamp}:${method}:${target}:${integrationId}`).digest('hex');
  return { 'x-opendray-signature': `v1=${mac}`, 'x-opendray-timestamp': String(timestamp), 'x-integration-id': integrationId };
}

beforeAll(async () => {
  gw = await startOpendray({ OPENDRAY_HEALTH_INTERVAL_MS: '300', OPENDRAY_IDLE_THRESHOLD_MS: '800' });

  // The chat service stand-in: an incoming webhook that keeps what it is sent.
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/webhook') chatMessages.push((JSON.parse(body) as { text: string }).text);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
  chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/webhook`;

  // The operator registers the bot where it will listen, as the README says.
  const port = await freePort();
  botUrl = `http://127.0.0.1:${port}`;
  const reg = await admin('/integrations', {
    method: 'POST',
    body: {
      name: 'slack-style-bot',
      base_url: botUrl,
      route_prefix: PREFIX,
      scopes: ['session:read', 'session:create', 'session:input', 'event:subscribe:session.*'],
    },
  });
  expect(reg.status).toBe(201);
  const registered = (await reg.json()) as { integration: { id: string }; api_key: string; signing_secret: string };
  integrationId = registered.integration.id;
  signingSecret = registered.signing_secret;
  // The registration answer saved as is (0600) holds both the key and the signing secret.
  const keyFile = join(gw.dataDir, 'slack-style-bot.json');
  await writeFile(keyFile, JSON.stringify(registered), { mode: 0o600 });

  bot = spawn(process.execPath, [BOT], {
    env: {
      ...process.env,
      OPENDRAY_URL: gw.url,
      OPENDRAY_KEY_FILE: keyFile,
      OPENDRAY_API_KEY: '',
      OPENDRAY_SIGNING_SECRET: '',
      CHAT_WEBHOOK_URL: chatUrl,
      CHAT_REPLY_TOKEN: CHAT_TOKEN,
      BOT_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bot.stdout!.on('data', (c: Buffer) => (botOut += c));
  bot.stderr!.on('data', (c: Buffer) => (botOut += c));
  await waitFor(() => {
    if (bot.exitCode !== null) throw new Error(`the bot exited ${bot.exitCode}:\n${botOut}`);
    return botOut.includes('subscribed to session.ended, session.idle') ? true : undefined;
  }, 'the bot to subscribe');
});

afterAll(async () => {
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  chat?.close();
  await gw?.stop();
});

describe('examples/slack-style-bot', () => {
  it('answers the gateway health probe', async () => {
    expect(botOut).toContain(`as integration ${integrationId}`);
    const direct = await fetch(`${botUrl}/health`);
    expect(await direct.json()).toMatchObject({ status: 'healthy', events: 'connected' });
    await waitFor(async () => {
      const integration = (await (await admin(`/integrations/${integrationId}`)).json()) as { health_status: string };
      return integration.health_status === 'healthy' ? true : undefined;
    }, 'the gateway to see the bot healthy');
  });

  let sessionId: string;

  it('starts a session through the proxy (a validly signed request is accepted)', async () => {
    const res = await admin(`/proxy/${PREFIX}/sessions`, { method: 'POST', body: { name: 'build' } });
    expect(res.status).toBe(201);
    const { session } = (await res.json()) as { session: { id: string; integration_id: string; name: string } };
    expect(session).toMatchObject({ name: 'build', integration_id: integrationId });
    sessionId = session.id;
    await waitFor(() => chatMessages.find((m) => m.includes('Started session "build"') && m.includes(sessionId)), 'the start message');
    const listed = await admin(`/proxy/${PREFIX}/sessions`);
    expect(((await listed.json()) as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toEqual([sessionId]);
  });

  it('posts when the session waits for input, and a chat reply drives the session', async () => {
    await waitFor(() => chatMessages.find((m) => m.includes(`(${sessionId}) is waiting for input`)), 'the idle message');
    // The chat service relays a user's reply straight to the bot, with its own token.
    const reply = await fetch(`${botUrl}/chat/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CHAT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, text: 'echo "reply says $((6 * 7))"' }),
    });
    expect(reply.status).toBe(202);
    await waitFor(async () => ((await (await admin(`/sessions/${sessionId}/buffer`)).text()).includes('reply says 42') ? true : undefined), 'the reply in the buffer');
    const history = (await (await admin(`/sessions/${sessionId}/history`)).json()) as { entries: Array<{ text: string }> };
    expect(history.entries.map((e) => e.text)).toContain('echo "reply says $((6 * 7))"');
  });

  it('posts "session ended" when the session exits (the reply came through the proxy)', async () => {
    const res = await admin(`/proxy/${PREFIX}/chat/reply`, { method: 'POST', body: { session_id: sessionId, text: 'exit 7' } });
    expect(res.status).toBe(202);
    const ended = await waitFor(() => chatMessages.find((m) => m.includes(`(${sessionId}) ended with exit code 7`)), 'the ended message');
    expect(ended).toContain('Session "build"');
  });

  it('rejects requests that did not come through the gateway', async () => {
    const now = Math.floor(Date.now() / 1000);
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${botUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"x"}' });
    expect((await post('/sessions', {})).status).toBe(401);
    expect((await post('/sessions', sign('POST', '/sessions', now, 'not-the-secret'))).status).toBe(401);
    expect((await post('/sessions', sign('POST', '/other', now))).status).toBe(401);
    expect((await post('/sessions', sign('POST', '/sessions', now - 3600))).status).toBe(401);
    expect((await post('/chat/reply', { authorization: 'Bearer wrong-token' })).status).toBe(401);
    // The same route with a correct signature is accepted: the canonical string matches the gateway's.
    const ok = await post('/sessions', sign('POST', '/sessions', now));
    expect(ok.status).toBe(201);
    // Bad input from a trusted caller is a clean 400.
    const bad = await fetch(`${botUrl}/chat/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CHAT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 42 }),
    });
    expect(bad.status).toBe(400);
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => bot.once('exit', (code) => r(code)));
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
