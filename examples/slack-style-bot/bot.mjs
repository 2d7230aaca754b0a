// @ts-check
// A Slack-style chat bot as an opendray integration, the v2 guide's flow:
//   - watches the sessions the operator runs (it creates none: its scopes are the guide's
//     session:read, session:input, event:subscribe:session.*);
//   - posts to the chat service (an incoming webhook, `{text}`) when one waits for input —
//     session.idle, with the screen's `recent_output` — or ends (session.ended / session.stopped);
//   - turns a chat reply into input for the session (POST /chat/reply → POST /sessions/{id}/input);
//   - answers the gateway's health probe (GET /health) and verifies X-OpenDray-Signature on
//     everything that comes through the gateway's reverse proxy.
//
// Run: OPENDRAY_KEY_FILE=… OPENDRAY_SIGNING_SECRET=… CHAT_WEBHOOK_URL=… node bot.mjs
// (see README.md for the registration that produces the key and the secret).
import { createServer } from 'node:http';
import { OpendrayClient, isOpendrayError, scopeGrants } from '@opendray/sdk/node';
import { createChatPoster } from './lib/chat.mjs';
import { loadCredentials } from './lib/credentials.mjs';
import { TOPICS, messageFor } from './lib/notify.mjs';
import { createRoutes } from './lib/routes.mjs';

const REQUIRED_SCOPES = ['session:read', 'session:input'];

/** @param {string} line */
const log = (line) => console.log(`[bot] ${line}`);
/** @param {string} message @returns {never} */
const die = (message) => {
  console.error(`slack-style-bot: ${message}`);
  process.exit(1);
};

const env = process.env;
const baseUrl = env.OPENDRAY_URL || 'http://127.0.0.1:8770';
const { apiKey, signingSecret } = await loadCredentials(env, log).catch((err) => die(`OPENDRAY_KEY_FILE: ${err.message}`));
if (!apiKey) die('no API key: set OPENDRAY_API_KEY, or OPENDRAY_KEY_FILE to a key file (mode 0600)');
if (!signingSecret) die('no signing secret: set OPENDRAY_SIGNING_SECRET, or keep the registration answer in OPENDRAY_KEY_FILE');
const port = Number(env.BOT_PORT ?? 8790);
if (!Number.isInteger(port) || port < 0 || port > 65535) die(`BOT_PORT: must be an integer 0–65535 (got ${env.BOT_PORT})`);
const host = env.BOT_HOST || '127.0.0.1';

const client = new OpendrayClient({ baseUrl, token: apiKey });
/** @type {import('@opendray/sdk').Me} */
let me;
try {
  me = await client.me();
} catch (err) {
  die(`cannot reach the gateway at ${baseUrl} with this key: ${err instanceof Error ? err.message : String(err)}`);
}
if (me.kind !== 'integration') die('the key is an admin credential; the bot needs its own integration key');
const missing = [...REQUIRED_SCOPES, ...TOPICS.map((t) => `event:subscribe:${t}`)].filter(
  (scope) => !me.scopes.some((granted) => scopeGrants(granted, scope)),
);
if (missing.length) log(`warning: the integration lacks scope(s) ${missing.join(', ')}`);

const chat = createChatPoster({ webhookUrl: env.CHAT_WEBHOOK_URL || undefined, log });
/** @type {'connected' | 'connecting'} */
let eventsState = 'connecting';

const server = createServer(
  createRoutes({
    client,
    integrationId: me.id,
    signingSecret,
    chatReplyToken: env.CHAT_REPLY_TOKEN || undefined,
    eventsState: () => eventsState,
    postToChat: chat.post,
    log,
  }),
);
server.requestTimeout = 30_000;
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => resolve(undefined));
});
const address = server.address();
const url = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
log(`listening on ${url} as integration ${me.id} ("${me.name}")`);

// Events: the SDK reconnects with backoff and resumes from the last seq on its own.
const stop = new AbortController();
const events = client.events({ topics: TOPICS, signal: stop.signal });
events.ready.then(
  () => {
    eventsState = 'connected';
    log(`subscribed to ${TOPICS.join(', ')}`);
  },
  () => undefined,
);
const consumed = (async () => {
  try {
    for await (const event of events) {
      if (event.topic === '_hello') {
        eventsState = 'connected';
        continue;
      }
      const text = await messageFor(client, event).catch((err) => {
        log(`could not describe ${event.topic}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (text) chat.post(text);
    }
  } catch (err) {
    // 401/403 cannot heal by retrying: the key was rotated or revoked, or a scope is missing.
    const why = isOpendrayError(err) ? `${err.message} (${err.status} ${err.code})` : String(err);
    console.error(`slack-style-bot: event subscription refused: ${why}`);
    process.exitCode = 1;
    await shutdown();
  }
})();

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  stop.abort();
  server.close();
  server.closeIdleConnections();
  await Promise.race([chat.drain(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  log('stopped');
  process.exit(process.exitCode ?? 0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
void consumed;
