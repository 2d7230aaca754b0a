import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBuffer, startGateway, tempDir, waitFor, waitForOutput, type TestGateway } from './support/gateway.js';
import { TEST_PROVIDERS, createSession, recordEvents, useFakeAgents } from './fixtures/sessions.js';

let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  useFakeAgents();
  dir = await tempDir('opendray-persist-');
});
afterAll(() => dir.remove());

const options = () => ({ storage: `sqlite://${join(dir.path, 'opendray.sqlite')}`, providers: TEST_PROVIDERS, stopGraceMs: 1_000 });

describe('sessions survive a gateway restart', () => {
  it('comes back interrupted with its tail and history, and POST /start revives it', async () => {
    const first = await startGateway(options());
    const s = await createSession(first, { provider_id: 'sh', name: 'keeper' });
    await first.api(`/sessions/${s.id}/input`, { method: 'POST', body: { text: 'echo persisted-$((4+4))' } });
    await waitForOutput(first, s.id, 'persisted-8');
    const rec = recordEvents(first.gateway.bus, 'session.*');
    const beforeClose = await readBuffer(first, s.id);
    await first.close();
    // v2's name for a session the gateway's shutdown ended (SPEC §16).
    expect(rec.events.find((e) => e.topic === 'session.interrupted' && e.data.session_id === s.id)?.data).toMatchObject({ state: 'interrupted' });

    const second = await startGateway(options());
    try {
      const back = await second.apiJson(`/sessions/${s.id}`);
      expect(back.body).toMatchObject({ id: s.id, name: 'keeper', state: 'interrupted', provider_id: 'sh' });
      expect(back.body.pid).toBeUndefined();
      const tail = await readBuffer(second, s.id);
      expect(tail.bytes.toString()).toContain('persisted-8');
      expect(tail.cursor).toBeGreaterThanOrEqual(beforeClose.cursor);
      expect(back.body.bytes_out).toBe(tail.cursor);
      expect((await second.apiJson(`/sessions/${s.id}/history`)).body.entries.map((e: any) => e.text)).toEqual(['echo persisted-$((4+4))']);
      expect((await second.apiJson(`/sessions/${s.id}/screen`)).body.lines.join('\n')).toContain('persisted-8');
      expect((await second.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'x' } })).status).toBe(409);

      const revived = await second.apiJson(`/sessions/${s.id}/start`, { method: 'POST' });
      expect(revived.body).toMatchObject({ id: s.id, state: 'running' });
      await second.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo again-$((5+5))\n' } });
      await waitForOutput(second, s.id, 'again-10');
      const after = await readBuffer(second, s.id, { since: tail.cursor });
      expect(after.start).toBe(tail.cursor);
      expect(after.bytes.toString()).toContain('again-10');
    } finally {
      await second.close();
    }
  });

  it('marks sessions that were running when the gateway died as interrupted', async () => {
    // Two gateways on one store: the second starts while the first still runs its session,
    // which is what the store looks like after the first crashed.
    const keyv = new Keyv();
    const crashed = await startGateway({ storage: keyv, providers: TEST_PROVIDERS });
    const s = await createSession(crashed, { provider_id: 'sh' });
    const revived = await startGateway({ storage: keyv, providers: TEST_PROVIDERS });
    try {
      expect((await revived.apiJson(`/sessions/${s.id}`)).body).toMatchObject({ state: 'interrupted' });
      expect((await revived.gateway.stores.sessions.get(s.id))?.state).toBe('interrupted');
    } finally {
      await revived.close();
      await crashed.close();
    }
  });
});

describe('agent providers: command lines and resume', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ stopGraceMs: 1_000 });
  });
  afterAll(() => t.close());

  it('gives claude a session id at spawn and resumes it on restart', async () => {
    const s = await createSession(t, { provider_id: 'claude', args: ['--verbose'], model: 'opus' });
    const out = await waitForOutput(t, s.id, /ARGV:.*\r\n/);
    const id = /\[--session-id\] \[([0-9a-f-]{36})\]/.exec(out)?.[1];
    expect(id).toBeDefined();
    expect(out).toContain('[--model] [opus]');
    expect(out).toMatch(/\[--verbose\]\r\n/);
    // text is typed, then the submit key (\r for agent TUIs) is sent on its own.
    await t.api(`/sessions/${s.id}/input`, { method: 'POST', body: { text: 'hello agent' } });
    await waitForOutput(t, s.id, 'FAKE claude GOT: hello agent');
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    await t.api(`/sessions/${s.id}/start`, { method: 'POST' });
    const again = await waitForOutput(t, s.id, new RegExp(`\\[--resume\\] \\[${id}\\]`));
    expect(again.split('ARGV:')).toHaveLength(3);
  });

  it('restarts codex with its resume sub-command', async () => {
    const s = await createSession(t, { provider_id: 'codex' });
    await waitForOutput(t, s.id, 'FAKE codex ARGV:');
    await t.api(`/sessions/${s.id}/stop`, { method: 'POST' });
    await t.api(`/sessions/${s.id}/start`, { method: 'POST' });
    await waitForOutput(t, s.id, 'FAKE codex ARGV: [resume] [--last]');
  });

  it('reports the exit code of an agent that exits by itself', async () => {
    const rec = recordEvents(t.gateway.bus, 'session.ended');
    const s = await createSession(t, { provider_id: 'gemini', env: { FAKE_AGENT_EXIT: '5' } });
    const ended = await waitFor(() => rec.events.find((e) => e.data.session_id === s.id));
    rec.stop();
    expect(ended.data).toMatchObject({ exit_code: 5, state: 'ended' });
    expect((await readBuffer(t, s.id)).bytes.toString()).toContain('FAKE gemini ARGV:');
  });
});
