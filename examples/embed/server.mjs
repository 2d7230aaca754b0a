// @ts-check
// An existing Node HTTP app that embeds the opendray gateway next to its own routes:
//   GET  /            the app's own page
//   POST /demo        drives a shell session in-process and returns what it printed
//   GET  /ended       sessions the app saw end, from the in-process event bus
//   /api/v1/...       the whole gateway (REST and WebSockets), mounted on the same server
//
// Run: node server.mjs   (PORT=0 picks a free port; ADMIN_TOKEN sets the admin token)
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { createGateway } from '@opendray/core';

const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
const gateway = await createGateway({ auth: { adminToken }, workspaceRoot: tmpdir() });

// The app listens to the gateway's bus in-process, with the same topic patterns as the
// events WebSocket. A session's end is one of three topics: `session.ended` (it exited),
// `session.stopped` (stop or delete, as here), `session.interrupted` (shutdown).
/** @type {Array<{ session_id: unknown, exit_code: unknown, state: unknown }>} */
const ended = [];
for (const topic of ['session.ended', 'session.stopped', 'session.interrupted']) {
  gateway.bus.on(topic, (event) => {
    ended.push({ session_id: event.data.session_id, exit_code: event.data.exit_code, state: event.data.state });
    if (ended.length > 100) ended.shift();
  });
}

/** Runs `echo` in a fresh shell session through the session manager and returns its output. */
async function demo() {
  const session = await gateway.sessions.create({ provider_id: 'shell', name: 'embed-demo', cols: 80, rows: 24 });
  let output = '';
  const done = new Promise((resolve) => {
    const stop = gateway.sessions.onData(session.id, (chunk) => {
      output += chunk.toString('utf8');
      if (output.includes('hello from the embed example')) {
        stop();
        resolve(undefined);
      }
    });
  });
  await gateway.sessions.input(session.id, { text: "echo 'hello from the' embed example" });
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await gateway.sessions.delete(session.id);
  return { session_id: session.id, output };
}

const server = createServer((req, res) => {
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/') return json(200, { app: 'my app', gateway: '/api/v1' });
  if (req.method === 'GET' && req.url === '/ended') return json(200, { ended });
  if (req.method === 'POST' && req.url === '/demo') {
    demo().then((result) => json(200, result), (err) => json(500, { error: String(err) }));
    return;
  }
  // Everything else under /api/v1 is the gateway's; the rest is the app's 404.
  gateway.handler(req, res, () => json(404, { error: 'not found in my app' }));
});
server.on('upgrade', (req, socket, head) => {
  if (!gateway.upgrade(req, socket, head)) socket.destroy();
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`embed example listening on http://127.0.0.1:${port}`);
  if (!process.env.ADMIN_TOKEN) console.log(`admin token: ${adminToken}`);
});

const shutdown = async () => {
  server.close();
  await gateway.close();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
