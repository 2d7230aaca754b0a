import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutputLog } from '../src/sessions/output-log.js';
import { silentLogger } from '../src/log.js';
import { readBuffer, startGateway, tempDir, waitForOutput } from './support/gateway.js';
import { TEST_PROVIDERS, createSession } from './fixtures/sessions.js';

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('opendray-durability-');
});
afterAll(() => dir.remove());

/**
 * A Map-backed keyv store whose writes can be made to fail: the one way a process can be
 * shown a store that refuses writes without filling a disk (the serve tests do that), through
 * the same `storage` option an embedder uses.
 */
function failingStore(): { keyv: Keyv; failWrites(on: boolean): void } {
  const map = new Map<string, unknown>();
  let failing = false;
  const refuse = (): never => {
    throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
  };
  const store = Object.assign(map, {
    set(key: string, value: unknown) {
      if (failing) refuse();
      return Map.prototype.set.call(map, key, value);
    },
    delete(key: string) {
      if (failing) refuse();
      return Map.prototype.delete.call(map, key);
    },
  });
  return { keyv: new Keyv({ store, namespace: 'opendray' }), failWrites: (on) => (failing = on) };
}

describe('failed store writes', () => {
  it('answer 503 naming the cause, undo what they did in memory, and make /health degraded until writes work', async () => {
    const { keyv, failWrites } = failingStore();
    const outputDir = join(dir.path, 'failing-output');
    const t = await startGateway({ storage: keyv, providers: TEST_PROVIDERS, outputDir });
    try {
      const kept = await t.apiJson('/integrations', { method: 'POST', body: { name: 'kept', route_prefix: 'kept', base_url: 'http://127.0.0.1:9' } });
      expect(kept.status).toBe(201);
      const session = await createSession(t, { provider_id: 'sh', name: 'alive' });
      await t.api(`/sessions/${session.id}/input`, { method: 'POST', body: { data: 'echo before-$((2*3))\n' } });
      await waitForOutput(t, session.id, 'before-6');
      failWrites(true);

      const refused = await t.apiJson('/integrations', { method: 'POST', body: { name: 'refused', route_prefix: 'refused', base_url: 'http://127.0.0.1:9' } });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'unavailable', error: expect.stringMatching(/disk is full/) });
      expect((await t.apiJson('/integrations')).body.integrations.map((i: any) => i.name)).toEqual(['kept']);
      expect((await t.apiJson(`/integrations/${kept.body.integration.id}`, { method: 'DELETE' })).status).toBe(503);
      expect((await t.apiJson(`/integrations/${kept.body.integration.id}`)).status).toBe(200);
      const patch = await t.apiJson(`/integrations/${kept.body.integration.id}`, { method: 'PATCH', body: { enabled: false } });
      expect(patch.status).toBe(503);
      expect((await t.apiJson(`/integrations/${kept.body.integration.id}`)).body.enabled).toBe(true);

      expect((await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh', name: 'refused' } })).status).toBe(503);
      expect((await t.apiJson('/sessions')).body.sessions.map((s: any) => s.name)).toEqual(['alive']);
      // A refused input types nothing and records nothing.
      const input = await t.apiJson(`/sessions/${session.id}/input`, { method: 'POST', body: { data: 'echo typed-$((6*7))\n' } });
      expect(input.status).toBe(503);
      expect((await t.apiJson(`/sessions/${session.id}/history`)).body.entries.map((e: any) => e.text)).toEqual(['echo before-$((2*3))']);
      expect((await t.apiJson(`/sessions/${session.id}`, { method: 'DELETE' })).status).toBe(503);
      expect((await t.apiJson(`/sessions/${session.id}`)).body).toMatchObject({ name: 'alive', state: 'stopped' });
      // Its output stays too, on disk.
      expect(await readdir(join(outputDir, session.id))).toContain('0000000000000000.out');
      expect((await readBuffer(t, session.id)).bytes.toString()).toContain('before-6');

      const degraded = await t.apiJson('/health');
      expect(degraded.status).toBe(503);
      expect(degraded.body).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/writes fail \(the disk is full\)/) });

      failWrites(false);
      const ok = await t.apiJson('/health');
      expect(ok.status).toBe(200);
      expect(ok.body.reason).toBeUndefined();
      // The refused name and prefix were never held.
      expect((await t.apiJson('/integrations', { method: 'POST', body: { name: 'refused', route_prefix: 'refused', base_url: 'http://127.0.0.1:9' } })).status).toBe(201);
      expect((await t.apiJson(`/sessions/${session.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await readdir(outputDir)).toEqual([]);
    } finally {
      failWrites(false);
      await t.close();
    }
  });
});

describe('malformed stored records', () => {
  it('are skipped and logged with their key; the rest load and log in', async () => {
    const keyv = new Keyv({ namespace: 'opendray' });
    const lines: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void lines.push(JSON.stringify({ msg, ...fields })) };
    const first = await startGateway({ storage: keyv, providers: TEST_PROVIDERS });
    const good = await first.apiJson('/integrations', { method: 'POST', body: { name: 'good' } });
    const bad = await first.apiJson('/integrations', { method: 'POST', body: { name: 'bad' } });
    await first.close();
    const badId = bad.body.integration.id;
    await keyv.set(`integration:${badId}`, { id: badId, name: 'bad' }); // no key, no scopes
    await keyv.set('session:index', ['ses_missingrecord']);

    const second = await startGateway({ storage: keyv, providers: TEST_PROVIDERS, logger });
    try {
      expect((await second.apiJson('/integrations')).body.integrations.map((i: any) => i.name)).toEqual(['good']);
      expect((await second.apiJson('/auth/me', { token: good.body.api_key })).status).toBe(200);
      expect((await second.apiJson('/sessions')).body.sessions).toEqual([]);
      expect(lines.some((l) => l.includes(`integration:${badId}`) && l.includes('skipped a stored record'))).toBe(true);
      expect(lines.some((l) => l.includes('session:ses_missingrecord') && l.includes('missing'))).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('invalid Unicode', () => {
  it('refuses a lone surrogate anywhere in a body with 400 naming the field', async () => {
    const t = await startGateway({ providers: TEST_PROVIDERS });
    try {
      const raw = (body: string) => t.apiJson('/sessions', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const name = await raw('{"provider_id":"sh","name":"x\\ud800y"}');
      expect(name.status).toBe(400);
      expect(name.body).toMatchObject({ code: 'validation_failed', error: expect.stringMatching(/^name: must be valid Unicode/) });
      expect((await raw('{"provider_id":"sh","env":{"A":"\\udfff"}}')).body.error).toMatch(/^env\.A:/);
      expect((await raw('{"provider_id":"sh","args":["ok","\\ud83d"]}')).body.error).toMatch(/^args\[1\]:/);
      const integration = await t.apiJson('/integrations', { method: 'POST', body: '{"name":"\\udc00"}', headers: { 'content-type': 'application/json' } });
      expect(integration.status).toBe(400);
      // A real pair (an emoji) is fine.
      expect((await raw('{"provider_id":"sh","name":"ok \\ud83d\\ude00"}')).status).toBe(201);
      expect((await t.apiJson('/sessions')).body.sessions.map((s: any) => s.name)).toEqual(['ok 😀']);
    } finally {
      await t.close();
    }
  });
});

describe('session output on disk', () => {
  it('is read back after a restart, with a cursor that continues past the stored record', async () => {
    const outputDir = join(dir.path, 'output-restart');
    const storage = `sqlite://${join(dir.path, 'restart.sqlite')}`;
    const first = await startGateway({ storage, outputDir, providers: TEST_PROVIDERS });
    const s = await createSession(first, { provider_id: 'sh' });
    await first.api(`/sessions/${s.id}/input`, { method: 'POST', body: { data: 'echo on-disk-$((6*7))\n' } });
    await waitForOutput(first, s.id, 'on-disk-42');
    const shown = await readBuffer(first, s.id);
    // Files hold what was shown, before any record write.
    const files = await readdir(join(outputDir, s.id));
    expect(files.sort()).toEqual(['0000000000000000.out', '0000000000000000.timing']);
    expect((await readFile(join(outputDir, s.id, '0000000000000000.out'))).subarray(0, shown.cursor)).toEqual(shown.bytes);
    const timing = (await readFile(join(outputDir, s.id, '0000000000000000.timing'), 'utf8')).trim().split('\n');
    expect(timing.every((l) => /^\d{13} \d+$/.test(l))).toBe(true);
    await first.close();

    // As after a crash: output on disk past what the record says.
    await writeFile(join(outputDir, s.id, '0000000000000000.out'), 'after-the-record\r\n', { flag: 'a' });
    const second = await startGateway({ storage, outputDir, providers: TEST_PROVIDERS });
    try {
      const back = await readBuffer(second, s.id);
      expect(back.bytes.toString()).toContain('on-disk-42');
      expect(back.bytes.toString().endsWith('after-the-record\r\n')).toBe(true);
      expect((await second.apiJson(`/sessions/${s.id}`)).body.bytes_out).toBe(back.cursor);
      expect(back.cursor).toBeGreaterThan(shown.cursor);
      expect((await second.apiJson(`/sessions/${s.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await readdir(outputDir)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('keeps two segments of the ring size, serves the newest contiguous bytes, and starts anew after a gap', async () => {
    const root = join(dir.path, 'segments');
    const log = createOutputLog({ dir: root, segmentBytes: 1024, logger: silentLogger });
    const chunk = (c: string) => Buffer.alloc(300, c);
    let offset = 0;
    for (const c of 'abcdefghij') {
      log.append('ses_x', chunk(c), offset, Date.now());
      log.flush('ses_x'); // one event-loop turn each
      offset += 300;
    }
    const tail = await log.tail('ses_x', 1024);
    expect(tail).toBeDefined();
    expect(tail!.start + tail!.bytes.length).toBe(3000);
    expect(tail!.bytes.length).toBe(1024);
    expect(tail!.bytes.subarray(-300).toString()).toBe('j'.repeat(300));
    const names = (await readdir(join(root, 'ses_x'))).filter((n) => n.endsWith('.out'));
    expect(names).toHaveLength(2);
    expect(await log.bytesOnDisk('ses_x')).toBeLessThanOrEqual(2 * (1024 + 300) + 200);

    // Bytes that do not follow (a write was lost) start a segment of their own.
    log.append('ses_x', chunk('z'), 5000, Date.now());
    const after = await log.tail('ses_x', 4096);
    expect(after).toEqual({ start: 5000, bytes: chunk('z') });
    expect(await log.end('ses_x')).toBe(5300);
    await log.remove('ses_x');
    expect(await log.bytesOnDisk('ses_x')).toBe(0);
    await log.closeAll();
  });

  it('settles deletes a crash cut short and keeps output it cannot place', async () => {
    const outputDir = join(dir.path, 'recover-output');
    const storage = `sqlite://${join(dir.path, 'recover.sqlite')}`;
    const first = await startGateway({ storage, outputDir, providers: TEST_PROVIDERS });
    const kept = await createSession(first, { provider_id: 'sh' });
    await first.api(`/sessions/${kept.id}/input`, { method: 'POST', body: { data: 'echo kept-$((3*3))\n' } });
    await waitForOutput(first, kept.id, 'kept-9');
    await first.close();
    // As if a crash hit deletes between setting the files aside and the store delete (or after it).
    const { rename } = await import('node:fs/promises');
    await rename(join(outputDir, kept.id), join(outputDir, `${kept.id}.deleted`));
    await mkdir(join(outputDir, 'ses_gonegonegone.deleted'));
    await mkdir(join(outputDir, 'ses_unknownunkno'));
    const second = await startGateway({ storage, outputDir, providers: TEST_PROVIDERS });
    try {
      expect((await readBuffer(second, kept.id)).bytes.toString()).toContain('kept-9');
      expect((await readdir(outputDir)).sort()).toEqual([kept.id, 'ses_unknownunkno'].sort());
    } finally {
      await second.close();
    }
  });

  it('continues the newest segment after a restart instead of starting a new one', async () => {
    const root = join(dir.path, 'continue');
    await mkdir(root, { recursive: true });
    const one = createOutputLog({ dir: root, segmentBytes: 4096, logger: silentLogger });
    one.append('ses_y', Buffer.from('first '), 0, Date.now());
    await one.closeAll();
    const two = createOutputLog({ dir: root, segmentBytes: 4096, logger: silentLogger });
    two.append('ses_y', Buffer.from('second'), 6, Date.now());
    expect(await two.tail('ses_y', 100)).toEqual({ start: 0, bytes: Buffer.from('first second') });
    expect((await readdir(join(root, 'ses_y'))).sort()).toEqual(['0000000000000000.out', '0000000000000000.timing']);
    await two.closeAll();
  });
});

describe('storageDurability', () => {
  it('is "full" or "normal"; anything else is a TypeError naming the option', async () => {
    await expect(startGateway({ storageDurability: 'none' as never })).rejects.toThrow(/storageDurability/);
    const t = await startGateway({ storage: `sqlite://${join(dir.path, 'normal.sqlite')}`, storageDurability: 'normal' });
    try {
      expect((await t.apiJson('/integrations', { method: 'POST', body: { name: 'fast' } })).status).toBe(201);
    } finally {
      await t.close();
    }
  });
});
