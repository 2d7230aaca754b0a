// @ts-check
// The lifecycle an integration author follows, in nine steps, on @opendray/sdk:
//   1 first-run registration (admin) with the key saved 0600   2 reuse of the saved key
//   3 recovery from a rotated key   4 event subscription   5 listing sessions
//   6 spawning a shell   7 sending input   8 reading the buffer and history
//   9 waiting for events   then cleanup (--unregister also removes the integration and the key file)
//
// Run: OPENDRAY_URL=http://127.0.0.1:8770 OPENDRAY_ADMIN_TOKEN=... node demo.mjs [--unregister]
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileKeyStore, OpendrayClient, isOpendrayError, withKeyRecovery } from '@opendray/sdk/node';
import { createAdminAccess } from './lib/admin.mjs';
import { createEventLog } from './lib/event-log.mjs';
import { detail, lastLines, step } from './lib/print.mjs';

/** @typedef {import('@opendray/sdk').Scope} Scope */

const USAGE = `Usage: node demo.mjs [--url <gateway>] [--key-file <path>] [--name <name>] [--unregister]

  --url         the gateway (OPENDRAY_URL, default http://127.0.0.1:8770)
  --key-file    where the API key is kept, mode 0600 (OPENDRAY_KEY_FILE,
                default ~/.config/opendray/demo-client-key.json)
  --name        the integration's name (default demo-client)
  --unregister  at the end, delete the integration and the key file

Admin credential (first run, key recovery, --unregister):
  OPENDRAY_ADMIN_TOKEN, or OPENDRAY_ADMIN_USER and OPENDRAY_ADMIN_PASSWORD`;

/** What the demo asks for: no more than it uses (SPEC §3). @type {Scope[]} */
const SCOPES = ['session:read', 'session:create', 'session:input', 'event:subscribe:session.*'];

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    'key-file': { type: 'string' },
    name: { type: 'string' },
    unregister: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const baseUrl = args.url ?? process.env.OPENDRAY_URL ?? 'http://127.0.0.1:8770';
const keyPath = args['key-file'] ?? process.env.OPENDRAY_KEY_FILE ?? join(homedir(), '.config', 'opendray', 'demo-client-key.json');
const name = args.name ?? 'demo-client';
const admin = createAdminAccess(baseUrl, process.env);
const keyStore = new FileKeyStore(keyPath);

console.log(`opendray demo-client → ${baseUrl}`);
console.log(`key file: ${keyPath}   admin credential: ${admin.source}`);

/** @type {import('@opendray/sdk').EventStream | undefined} */
let stream;
/** @type {OpendrayClient | undefined} */
let client;
/** @type {string | undefined} */
let sessionId;

try {
  // ── 1 ─────────────────────────────────────────────────────────────────────────
  step(1, 'First-run registration (admin), key saved 0600');
  let saved = await keyStore.load();
  if (saved) {
    detail(`skipped: a key is already saved in ${keyPath}${saved.integration_id ? ` (integration ${saved.integration_id})` : ''}`);
  } else {
    const adminClient = await admin.get('first-run registration');
    let answer;
    try {
      answer = await adminClient.createIntegration({ name, scopes: SCOPES, version: '0.1.0' });
      detail(`POST /integrations {name: "${name}"} → 201, integration ${answer.integration.id}`);
    } catch (err) {
      // Registered before, but the key file is gone: take the registration over with a new key.
      if (!isOpendrayError(err, 'conflict')) throw err;
      const existing = (await adminClient.listIntegrations()).find((i) => i.name === name);
      if (!existing) throw err;
      answer = await adminClient.rotateKey(existing.id);
      detail(`"${name}" already exists (${existing.id}) but no key was saved: rotated its key instead`);
    }
    await keyStore.save({ api_key: answer.api_key, integration_id: answer.integration.id });
    saved = await keyStore.load();
    detail(`scopes: ${answer.integration.scopes.join(', ')}`);
    detail(`key saved to ${keyPath} (mode ${await modeOf(keyPath)}); it is shown only once, never logged`);
  }
  if (!saved) throw new Error(`${keyPath}: no key after registration`);

  // ── 2 ─────────────────────────────────────────────────────────────────────────
  step(2, 'Reuse of the saved key');
  let integrationId = saved.integration_id;
  let recoveries = 0;
  client = new OpendrayClient({ baseUrl, token: saved.api_key });
  if (admin.available) {
    // A 401 (the key was rotated) → the admin issues a new key → it is saved → the call is retried once.
    withKeyRecovery({
      client,
      keyStore,
      rotate: async (stored) => {
        const id = stored?.integration_id ?? integrationId;
        if (!id) throw new Error(`${keyPath} does not say which integration the key belongs to`);
        return (await admin.get('key recovery')).rotateKey(id);
      },
      onRecovered: () => {
        recoveries += 1;
      },
    });
  }
  const me = await client.me();
  if (me.kind !== 'integration') throw new Error(`${keyPath} holds an admin credential, not an integration key`);
  integrationId = me.id;
  detail(`GET /auth/me with the key from ${keyPath} → integration ${me.id} ("${me.name}")`);
  detail(`scopes: ${me.scopes.join(', ')}`);

  // ── 3 ─────────────────────────────────────────────────────────────────────────
  step(3, 'Recovery from a rotated key');
  if (!admin.available) {
    detail('skipped: recovering a rotated key needs an admin credential');
  } else {
    const before = client.token;
    await (await admin.get('rotating the key')).rotateKey(integrationId);
    detail('the admin rotated the key behind our back: the saved key is now invalid');
    const again = await client.me();
    const stored = await keyStore.load();
    if (recoveries === 0 || client.token === before || stored?.api_key !== client.token) {
      throw new Error('key recovery did not happen as expected');
    }
    detail(`GET /auth/me → 401 → recovery helper: admin rotated the key, the new key was saved to ${keyPath} (mode ${await modeOf(keyPath)})`);
    detail(`→ the call was retried once: ok, still integration ${again.id}`);
  }

  // ── 4 ─────────────────────────────────────────────────────────────────────────
  step(4, 'Event subscription');
  stream = client.events({ topics: ['session.*'] });
  const log = createEventLog(stream);
  await stream.ready;
  detail('WS /integrations/_events?topics=session.* → subscribed (only events about our own sessions arrive)');

  // ── 5 ─────────────────────────────────────────────────────────────────────────
  step(5, 'Listing sessions');
  const sessions = await client.listSessions();
  detail(`GET /sessions → ${sessions.length} session(s) visible to this integration`);
  for (const s of sessions.slice(0, 10)) detail(`  ${s.id}  ${s.state.padEnd(11)} ${s.name}`);

  // ── 6 ─────────────────────────────────────────────────────────────────────────
  step(6, 'Spawning a shell');
  const session = await client.createSession({ provider_id: 'shell', name: 'demo-client shell', cols: 100, rows: 30 });
  sessionId = session.id;
  const id = session.id;
  detail(`POST /sessions {provider_id: "shell"} → 201, session ${id} (pid ${session.pid ?? '?'}, cwd ${session.cwd})`);
  await log.waitFor((events) => events.find((e) => e.topic === 'session.started' && e.data.session_id === id), 'session.started');
  detail('event session.started received');

  // ── 7 ─────────────────────────────────────────────────────────────────────────
  step(7, 'Sending input');
  // The shell computes 42, so the output (not the echo of what was typed) proves it ran.
  const command = 'echo "demo says $((6 * 7))"';
  await client.sendText(id, command);
  detail(`POST /sessions/${id}/input {text: ${JSON.stringify(command)}} → 204`);

  // ── 8 ─────────────────────────────────────────────────────────────────────────
  step(8, 'Reading the buffer and history');
  const buffer = await until(async () => {
    const chunk = await client?.getBuffer(id);
    return chunk && new TextDecoder().decode(chunk.bytes).includes('demo says 42') ? chunk : undefined;
  }, 'the command output in the buffer');
  detail(`GET /sessions/${id}/buffer → ${buffer.bytes.byteLength} bytes (offsets ${buffer.start}–${buffer.cursor}); last lines:`);
  for (const line of lastLines(new TextDecoder().decode(buffer.bytes), 3)) detail(`  │ ${line}`);
  const history = await client.getHistory(id);
  detail(`GET /sessions/${id}/history → ${history.length} submitted message(s):`);
  for (const entry of history) detail(`  ${entry.ts}  ${entry.text}`);

  // ── 9 ─────────────────────────────────────────────────────────────────────────
  step(9, 'Waiting for events (session.output, session.ended)');
  await log.waitFor((_events) => (log.outputOf(id).includes('demo says 42') ? true : undefined), 'session.output with the command output');
  const outputs = log.events.filter((e) => e.topic === 'session.output' && e.data.session_id === id).length;
  detail(`session.output: ${outputs} event(s) so far, carrying "demo says 42"`);
  await client.sendText(id, 'exit 3');
  detail('sent "exit 3"');
  const ended = await log.waitFor(
    (events) => events.find((e) => e.topic === 'session.ended' && e.data.session_id === id),
    'session.ended',
  );
  detail(`session.ended: exit_code ${ended.data.exit_code}, state ${ended.data.state}, final cursor ${ended.data.cursor}`);
} catch (err) {
  process.exitCode = 1;
  console.error(`\ndemo-client: ${describe(err)}`);
} finally {
  await cleanup();
}

/** Deletes the session; with --unregister also the integration and the key file. */
async function cleanup() {
  step('cleanup', args.unregister ? 'Deleting the session, the integration and the key file' : 'Deleting the session');
  stream?.close();
  try {
    if (client && sessionId) {
      await client.deleteSession(sessionId);
      detail(`DELETE /sessions/${sessionId} → 204`);
    }
    if (args.unregister) {
      const stored = await keyStore.load().catch(() => null);
      const id = stored?.integration_id;
      if (id) {
        await (await admin.get('--unregister')).deleteIntegration(id);
        detail(`DELETE /integrations/${id} → 204`);
      }
      await keyStore.clear();
      detail(`removed ${keyPath}`);
    } else {
      detail(`the integration and its key stay for the next run (pass --unregister to remove them)`);
    }
  } catch (err) {
    process.exitCode = 1;
    console.error(`demo-client: cleanup: ${describe(err)}`);
  } finally {
    await admin.close();
  }
  console.log(process.exitCode ? '\ndemo-client: failed' : '\ndemo-client: done');
}

/** The file's permission bits, e.g. `0600`. @param {string} path */
async function modeOf(path) {
  return `0${((await stat(path)).mode & 0o777).toString(8)}`;
}

/**
 * Polls `probe` until it answers something, for at most 15 s.
 * @template T
 * @param {() => Promise<T | undefined>} probe
 * @param {string} what
 * @returns {Promise<T>}
 */
async function until(probe, what) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One line for an error: the gateway's code and message when it answered. @param {unknown} err */
function describe(err) {
  if (isOpendrayError(err)) return `${err.message} (${err.status || 'no answer'} ${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
