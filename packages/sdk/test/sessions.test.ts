import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { startWebhookStandIn, type WebhookStandIn } from '../../core/test/support/webhook-stand-in.js';
import { TEST_PROVIDERS } from '../../core/test/fixtures/sessions.js';
import { OpendrayClient, OpendrayError, type Session } from '../src/index.js';

let t: TestGateway;
let admin: OpendrayClient;
let client: OpendrayClient;

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

beforeAll(async () => {
  t = await startGateway({ providers: TEST_PROVIDERS, stopGraceMs: 1_000 });
  admin = new OpendrayClient({ baseUrl: t.url, token: ADMIN_TOKEN });
  const { api_key } = await admin.createIntegration({
    name: 'sdk-sessions',
    scopes: ['session:read', 'session:create', 'session:input', 'provider:read', 'provider:write', 'channel:send'],
  });
  client = new OpendrayClient({ baseUrl: t.url, token: api_key });
});
afterAll(() => t.close());

/** Polls the buffer until its text contains `needle`; returns the text. */
async function output(id: string, needle: string): Promise<string> {
  return waitFor(async () => {
    const text = decode((await client.getBuffer(id)).bytes);
    return text.includes(needle) ? text : null;
  });
}

describe('sessions through the SDK, as an integration', () => {
  it('create, list, get, input, buffer with cursors, history, screen', async () => {
    const s = await client.createSession({ provider_id: 'sh', name: 'sdk-one', cols: 80, rows: 24 });
    expect(s).toMatchObject({ name: 'sdk-one', provider_id: 'sh', state: 'running', origin: 'integration' });
    expect((await client.listSessions()).map((x) => x.id)).toEqual([s.id]);
    expect((await client.listSessions({ provider_id: 'nope' })).length).toBe(0);
    expect((await client.getSession(s.id)).id).toBe(s.id);

    await client.sendInput(s.id, 'echo raw-$((20+1))\n');
    await output(s.id, 'raw-21');
    await client.sendText(s.id, 'echo txt-$((40+2))');
    await output(s.id, 'txt-42');

    const whole = await client.getBuffer(s.id);
    expect(whole.start).toBe(0);
    expect(whole.cursor).toBe(whole.bytes.byteLength);
    expect(whole.lost).toBe(false);
    await client.sendInput(s.id, { data: 'echo more-$((1+1))\n' });
    await output(s.id, 'more-2');
    const tail = await client.getBuffer(s.id, { since: whole.cursor });
    expect(tail.start).toBe(whole.cursor);
    expect(decode(tail.bytes)).toContain('more-2');
    expect(decode(tail.bytes)).not.toContain('raw-21');

    const history = await client.getHistory(s.id);
    expect(history.map((h) => h.text)).toEqual(['echo raw-$((20+1))\n'.trimEnd(), 'echo txt-$((40+2))', 'echo more-$((1+1))']);
    expect(await client.getHistory(s.id, { limit: 1 })).toHaveLength(1);

    const screen = await client.getScreen(s.id);
    expect(screen).toMatchObject({ cols: 80, rows: 24 });
    expect(screen.lines.some((l) => l === 'more-2')).toBe(true);
    expect(decode(await client.getScreenAnsi(s.id))).toContain('more-2');
  });

  it('keys, resize, stop, start, delete', async () => {
    const s = await client.createSession({ provider_id: 'bash', env: { PS1: '$ ' }, cols: 100, rows: 30 });
    await client.resize(s.id, 91, 27);
    await client.sendInput(s.id, 'stty size\n');
    await output(s.id, '27 91');
    expect(await client.getSession(s.id)).toMatchObject({ cols: 91, rows: 27 });

    await client.sendInput(s.id, 'sleep 30\n');
    await new Promise((r) => setTimeout(r, 300));
    await client.sendKeys(s.id, ['C-c']);
    await client.sendInput(s.id, 'echo rc=$?\n');
    await output(s.id, 'rc=130');

    const stopped = await client.stopSession(s.id);
    expect(stopped.state).toBe('stopped');
    const notRunning = await client.sendText(s.id, 'echo x').catch((e: unknown) => e);
    expect(notRunning).toMatchObject({ status: 409, code: 'conflict' });

    const restarted: Session = await client.startSession(s.id);
    expect(restarted).toMatchObject({ id: s.id, state: 'running' });
    await client.deleteSession(s.id);
    const gone = await client.getSession(s.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpendrayError);
    expect(gone).toMatchObject({ status: 404, code: 'not_found' });
  });

  it("another integration's session is a 404 to this one; the operator's are shared (SPEC §3)", async () => {
    const { api_key } = await admin.createIntegration({ name: 'sdk-other', scopes: ['session:read', 'session:create'] });
    const other = new OpendrayClient({ baseUrl: t.url, token: api_key });
    const theirs = await other.createSession({ provider_id: 'sh' });
    const err = await client.getSession(theirs.id).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'not_found' });
    const operator = await admin.createSession({ provider_id: 'sh' });
    expect((await client.getSession(operator.id)).origin).toBe('operator');
    expect((await client.listSessions()).map((s) => s.id)).not.toContain(operator.id);
    expect((await client.listSessions({ include: 'shared' })).map((s) => s.id)).toContain(operator.id);
    await admin.deleteSession(theirs.id);
    await admin.deleteSession(operator.id);
  });
});

describe('providers and channels through the SDK', () => {
  it('lists and gets providers, patches a config (secrets redacted)', async () => {
    const providers = await client.listProviders();
    expect(providers.map((p) => p.id)).toEqual(expect.arrayContaining(['shell', 'claude', 'sh', 'bash']));
    const shell = await client.getProvider('shell');
    expect(shell).toMatchObject({ id: 'shell', kind: 'shell' });
    // Only the admin may set a key (SPEC §15); an integration's model applies to its own sessions.
    await admin.updateProviderConfig('claude', { api_key: 'sk-secret-value' });
    const patched = await client.updateProviderConfig('claude', { model: 'opus' });
    expect(patched.config).toMatchObject({ model: 'opus', api_key: '********' });
    expect((await admin.getProvider('claude')).config.api_key).toBe('sk-secret-value');
    const refused = await client.updateProviderConfig('claude', { api_key: 'sk-other' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: 'forbidden' });
    const unknown = await client.getProvider('nope').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('channel admin, list and send', async () => {
    const target: WebhookStandIn = await startWebhookStandIn();
    try {
      const ch = await admin.createChannel({ kind: 'webhook', name: 'sdk-hook', config: { url: `${target.url}/hook` } });
      expect(ch.id).toMatch(/^ch_/);
      expect((await admin.getChannel(ch.id)).name).toBe('sdk-hook');
      expect((await admin.updateChannel(ch.id, { name: 'sdk-hook-2' })).name).toBe('sdk-hook-2');
      expect((await client.listChannels()).map((c) => c.id)).toContain(ch.id);

      const delivery = await client.sendChannelMessage(ch.id, { text: 'hello from the sdk', conversation_id: 'c-1' });
      expect(delivery).toMatchObject({ status: 'delivered', channel_id: ch.id, conversation_id: 'c-1' });
      await waitFor(() => target.received.length > 0);
      expect(JSON.stringify(target.received[0]!.json)).toContain('hello from the sdk');
      await client.sendChannelMessage(ch.id, 'plain text form');
      await waitFor(() => target.received.length > 1);

      await admin.deleteChannel(ch.id);
      expect((await client.listChannels()).map((c) => c.id)).not.toContain(ch.id);
    } finally {
      await target.close();
    }
  });
});
