import { TOPIC_NAMES } from '@opendray/sdk/wire';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildAsyncApiDocument, type AsyncApiDocument } from '../src/index.js';
import { ADMIN_TOKEN, nextMessage, openWs, startGateway, tempDir, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS } from './fixtures/sessions.js';
import { fakeAgentProvider } from './support/agent-fakes.js';
import { resolvePointer } from './support/openapi-checker.js';
import { startUpstream, type Upstream } from './support/upstream.js';
import { startWebhookStandIn, type WebhookStandIn } from './support/webhook-stand-in.js';

const DOC_ID = 'https://opendray.invalid/asyncapi.json';
let t: TestGateway;
let doc: AsyncApiDocument;
let dir: { path: string; remove: () => Promise<void> };
let upstream: Upstream;
let standIn: WebhookStandIn;
let ajv: Ajv2020;
const compiled = new Map<string, ValidateFunction>();

/** The payload schema of a message of the document, compiled (strict 2020-12) against it. */
function payloadValidator(messageId: string): ValidateFunction {
  let v = compiled.get(messageId);
  if (!v) {
    v = ajv.compile({ $ref: `${DOC_ID}#/components/messages/${messageId.replace(/~/g, '~0').replace(/\//g, '~1')}/payload/schema` });
    compiled.set(messageId, v);
  }
  return v;
}

function problems(messageId: string, frame: unknown): string[] {
  const v = payloadValidator(messageId);
  return v(frame) ? [] : (v.errors ?? []).map((e) => `${messageId}: ${e.instancePath} ${e.message} in ${JSON.stringify(frame).slice(0, 200)}`);
}

beforeAll(async () => {
  dir = await tempDir('opendray-asyncapi-');
  upstream = await startUpstream();
  standIn = await startWebhookStandIn();
  t = await startGateway({ workspaceRoot: dir.path, idleThresholdMs: 300, healthIntervalMs: 200, healthTimeoutMs: 500, providers: [fakeAgentProvider('claude')] });
  const res = await t.apiJson('/asyncapi.json', { token: null });
  expect(res.status).toBe(200);
  doc = res.body;
  ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateFormats: false, allErrors: true });
  ajv.addVocabulary(Object.keys(doc));
  ajv.addKeyword('x-reason');
  ajv.addSchema(doc as never, DOC_ID);
});

afterAll(async () => {
  await t?.close();
  await upstream?.close();
  await standIn?.close();
  await dir?.remove();
});

describe('GET /api/v1/asyncapi.json', () => {
  it('is an AsyncAPI 3.0 document describing both WebSockets, the proxied ones and every topic', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(JSON.parse(JSON.stringify(buildAsyncApiDocument(t.gateway.upgrades)))).toEqual(doc);
    const addresses = Object.values(doc.channels).map((c) => c.address);
    expect(addresses.sort()).toEqual(t.gateway.upgrades.map((u) => u.path.replace(/\/\*$/, '/{path}')).sort());
    const events = doc.channels.events as { messages: Record<string, unknown> };
    for (const topic of [...TOPIC_NAMES, '_hello', '_gap']) expect(events.messages[`events.server.${topic}`], topic).toBeDefined();
    // Every $ref resolves, every operation's messages belong to its channel, every payload compiles in strict mode.
    const refs: string[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (n && typeof n === 'object') for (const [k, v] of Object.entries(n)) k === '$ref' ? refs.push(v as string) : walk(v);
    };
    walk(doc);
    expect(refs.filter((r) => resolvePointer(doc, r) === undefined)).toEqual([]);
    for (const [name, op] of Object.entries(doc.operations) as [string, { channel: { $ref: string }; messages: { $ref: string }[] }][]) {
      for (const m of op.messages) expect(m.$ref.startsWith(`${op.channel.$ref}/messages/`), name).toBe(true);
    }
    for (const id of Object.keys(doc.components.messages)) expect(() => payloadValidator(id), id).not.toThrow();
  });

  it('validates a real frame of every topic, and the stream control frames, against the document', async () => {
    const events: unknown[] = [];
    // Listening before the socket opens: the _hello may arrive with the upgrade answer.
    const ws = new WebSocket(`${t.wsUrl}/api/v1/integrations/_events?topics=*`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    ws.on('message', (m) => events.push(JSON.parse(m.toString())));
    // The v2 guide's names reach only a subscriber naming them exactly (SPEC §16).
    const aliases = new WebSocket(`${t.wsUrl}/api/v1/integrations/_events?topics=integration.rotated,integration.health_change`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    aliases.on('message', (m) => events.push(JSON.parse(m.toString())));
    await waitFor(() => events.filter((e: any) => e.topic === '_hello').length === 2);

    // integration.*: register (proxied: probed, so health changes), update, rotate, delete.
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'aa-one', base_url: upstream.url, route_prefix: 'aa-one' } });
    const id = reg.body.integration.id;
    await t.apiJson(`/integrations/${id}`, { method: 'PATCH', body: { version: '2' } });
    await waitFor(() => events.some((e: any) => e.topic === 'integration.health_change'));
    await waitFor(() => events.some((e: any) => e.topic === 'integration.health_changed'));
    await t.apiJson(`/integrations/${id}/rotate-key`, { method: 'POST', body: {} });
    await t.api(`/integrations/${id}`, { method: 'DELETE' });

    // session.*: start, output, idle, active again, ended (stopped).
    const s = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell', cwd: dir.path } })).body;
    await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo async-$((6*7))\n' } });
    await waitForOutput(t, s.id, 'async-42');
    await waitFor(() => events.some((e: any) => e.topic === 'session.idle'));
    await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo again\n' } });
    await waitFor(() => events.some((e: any) => e.topic === 'session.active'));

    // The v2 stream's control frames, while the session runs.
    const stream: WebSocket = await openWs(`${t.wsUrl}/api/v1/sessions/${s.id}/stream`, { token: ADMIN_TOKEN, protocols: 'opendray.v2' });
    const hello = await nextMessage(stream, (m, binary) => !binary && m.type === 'hello');
    expect(problems('streamSession.server.hello', hello)).toEqual([]);
    const ended = nextMessage(stream, (m, binary) => !binary && m.type === 'ended');
    await t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST' });
    expect(problems('streamSession.server.ended', await ended)).toEqual([]);
    // A restart (session.restarted), and a process that exits by itself (session.ended).
    await t.apiJson(`/sessions/${s.id}/start`, { method: 'POST' });
    await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'exit 3\n' } });

    // channel.*: a webhook channel sends, and receives a message and a command.
    const secret = 's'.repeat(32);
    const ch = (await t.apiJson('/channels', { method: 'POST', body: { kind: 'webhook', name: 'aa-hook', config: { url: `${standIn.url}/hook`, secret } } })).body;
    await t.apiJson(`/channels/${ch.id}/messages`, { method: 'POST', body: { text: 'out', conversation_id: 'c1' } });
    await t.apiJson(`/channels/${ch.id}/webhook`, { method: 'POST', token: secret, body: { text: 'hello', author: 'bob', conversation_id: 7 } });
    await t.apiJson(`/channels/${ch.id}/webhook`, { method: 'POST', token: secret, body: { text: '/deploy prod now', author_id: 42 } });

    // session.interrupted comes with a gateway's shutdown, when its sockets are gone: the bus event, as a frame.
    const other = await startGateway({ workspaceRoot: dir.path, providers: TEST_PROVIDERS });
    const os = (await other.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh' } })).body;
    other.gateway.bus.subscribe('session.interrupted', (e) => events.push({ topic: e.topic, ts: e.ts, data: e.data, seq: e.seq }));
    await other.close();
    expect(events.some((e: any) => e.topic === 'session.interrupted' && e.data.session_id === os.id)).toBe(true);
    // The agent topics (SPEC §17): a replayed Claude Code stops at a dialog, which is allowed.
    const agent = (await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'fake-claude', cwd: dir.path } })).body;
    await waitFor(async () => ((await t.apiJson(`/sessions/${agent.id}/agent`)).body.state === 'idle' ? true : undefined), 15_000);
    await t.apiJson(`/sessions/${agent.id}/prompt`, { method: 'POST', body: { text: 'please run the tool', wait: { timeout_ms: 20_000 } } });
    await t.apiJson(`/sessions/${agent.id}/permission`, { method: 'POST', body: { decision: 'allow' } });

    await waitFor(() => TOPIC_NAMES.every((topic) => events.some((e: any) => e.topic === topic)), 15_000);
    ws.close();
    aliases.close();
    const seen = new Set<string>();
    const failures = events.flatMap((frame: any) => {
      seen.add(frame.topic);
      return problems(`events.server.${frame.topic}`, frame);
    });
    expect(failures).toEqual([]);
    expect([...TOPIC_NAMES, '_hello'].filter((topic) => !seen.has(topic))).toEqual([]);
    // The document has teeth: a frame that breaks its topic's payload is refused.
    const started: any = events.find((e: any) => e.topic === 'session.started');
    expect(problems('events.server.session.started', { ...started, data: { ...started.data, session_id: 7 } })).not.toEqual([]);
    expect(problems('events.server.session.ended', started)).not.toEqual([]);
  });
});
