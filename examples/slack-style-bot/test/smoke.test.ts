import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENDRAY_BIN, startOpendray, type ServedGateway } from '../../demo-client/test/support/serve.js';

const BOT = fileURLToPath(new URL('../bot.mjs', import.meta.url));
const PREFIX = 'slackbot';
const CHAT_TOKEN = 'chat-stand-in-token';
/** The v2 guide's Slack-bot scopes: no session:create. */
const GUIDE_SCOPES = ['session:read', 'session:input', 'event:subscribe:session.*'];

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
  // The operator's shell is /bin/sh here: quick to start, and no rc files to run.
  gw = await startOpendray({ OPENDRAY_HEALTH_INTERVAL_MS: '300', OPENDRAY_IDLE_THRESHOLD_MS: '800', SHELL: '/bin/sh' });

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

  // The operator registers the bot where it will listen with the README's own command line:
  // the CLI's --json answer, saved 0600, is the key file the bot reads.
  const port = await freePort();
  botUrl = `http://127.0.0.1:${port}`;
  const keyFile = join(gw.dataDir, 'slack-style-bot.json');
  const readme = await readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const command = /```sh runnable\n(\(umask 077; npx opendray integrations add[\s\S]*?)\n```/.exec(readme)?.[1];
  expect(command).toBeTruthy();
  await promisify(execFile)('sh', ['-c', command!.replace(/\\\n\s*/g, ' ').replace('npx opendray ', 'node "$OPENDRAY_BIN" ').replace('http://127.0.0.1:8790', botUrl)], {
    cwd: gw.dataDir,
    env: { ...process.env, OPENDRAY_BIN, OPENDRAY_URL: gw.url, OPENDRAY_TOKEN: gw.adminToken, XDG_CONFIG_HOME: gw.dataDir },
  });
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  const registered = JSON.parse(await readFile(keyFile, 'utf8')) as { integration: { id: string; scopes: string[] }; api_key: string; signing_secret: string };
  // As a set: the CLI lists the default scopes first, then the --scope ones it adds (i17).
  expect([...registered.integration.scopes].sort()).toEqual([...GUIDE_SCOPES].sort());
  integrationId = registered.integration.id;
  signingSecret = registered.signing_secret;

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
    return botOut.includes('subscribed to session.idle, session.ended, session.stopped') ? true : undefined;
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

  it("watches a session the operator started: its idle message carries the screen (session.idle's recent_output)", async () => {
    // The bot creates nothing (no session:create): the operator works, the bot watches.
    const started = await admin('/sessions', { method: 'POST', body: { provider_id: 'shell', name: 'build' } });
    const session = (await started.json()) as { id: string; origin: string; integration_id?: string };
    expect(session).toMatchObject({ origin: 'operator' });
    expect(session.integration_id).toBeUndefined();
    sessionId = session.id;
    await waitFor(() => chatMessages.find((m) => m.includes(`Session "build" (${sessionId}) is waiting for input`)), 'the idle message');
    // The sessions it watches, through the proxy (signed).
    const listed = await admin(`/proxy/${PREFIX}/sessions`);
    expect(((await listed.json()) as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toContain(sessionId);
  });

  it("a chat reply drives the operator's session, and the next idle message shows the answer", async () => {
    // The chat service relays a user's reply straight to the bot, with its own token.
    const reply = await fetch(`${botUrl}/chat/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CHAT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, text: 'echo "reply says $((6 * 7))"' }),
    });
    expect(reply.status).toBe(202);
    const answered = await waitFor(
      () => chatMessages.find((m) => m.includes(`(${sessionId}) is waiting for input`) && m.includes('reply says 42')),
      'the answer in an idle message',
    );
    expect(answered).toContain('```');
    const history = (await (await admin(`/sessions/${sessionId}/history`)).json()) as { entries: Array<{ text: string }> };
    expect(history.entries.map((e) => e.text)).toContain('echo "reply says $((6 * 7))"');
  });

  it('posts "ended with exit code 7" when the session exits (the reply came through the proxy)', async () => {
    const res = await admin(`/proxy/${PREFIX}/chat/reply`, { method: 'POST', body: { session_id: sessionId, text: 'exit 7' } });
    expect(res.status).toBe(202);
    const ended = await waitFor(() => chatMessages.find((m) => m.includes(`(${sessionId}) ended with exit code 7`)), 'the ended message');
    expect(ended).toContain('Session "build"');
  });

  it('posts "was stopped" when the operator stops a session (session.stopped)', async () => {
    const started = await admin('/sessions', { method: 'POST', body: { provider_id: 'shell', name: 'deploy' } });
    const { id } = (await started.json()) as { id: string };
    await admin(`/sessions/${id}/stop`, { method: 'POST' });
    await waitFor(() => chatMessages.find((m) => m.includes(`Session "deploy" (${id}) was stopped`)), 'the stopped message');
  });

  it('rejects requests that did not come through the gateway', async () => {
    const now = Math.floor(Date.now() / 1000);
    const get = (headers: Record<string, string>) => fetch(`${botUrl}/sessions`, { headers });
    expect((await get({})).status).toBe(401);
    expect((await get(sign('GET', '/sessions', now, 'not-the-secret'))).status).toBe(401);
    expect((await get(sign('GET', '/other', now))).status).toBe(401);
    expect((await get(sign('GET', '/sessions', now - 3600))).status).toBe(401);
    const post = (headers: Record<string, string>) =>
      fetch(`${botUrl}/chat/reply`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ session_id: 42 }) });
    expect((await post({ authorization: 'Bearer wrong-token' })).status).toBe(401);
    // The same route with a correct signature is accepted: the canonical string matches the gateway's.
    expect((await get(sign('GET', '/sessions', now))).status).toBe(200);
    // Bad input from a trusted caller is a clean 400.
    expect((await post({ authorization: `Bearer ${CHAT_TOKEN}` })).status).toBe(400);
    // What the bot cannot do with the guide's scopes, it never asked for.
    expect((await fetch(`${botUrl}/sessions`, { method: 'POST', headers: sign('POST', '/sessions', now) })).status).toBe(404);
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => bot.once('exit', (code) => r(code)));
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
