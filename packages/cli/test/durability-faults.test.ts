import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canMount, serveAt, tempDir, until, writeConfig, type Served } from './support/durable.js';

// SPEC §4 /health, §11: an acknowledgement means it is on disk; a write that cannot be
// stored fails the request (503) with nothing half-done, and /health says degraded.

let dir: { path: string; remove(): Promise<void> };
let config: string;
let serve: Served | undefined;
beforeAll(async () => {
  dir = await tempDir('opendray-faults-');
  config = await writeConfig(dir.path);
});
afterAll(async () => {
  await serve?.stop('SIGKILL');
  await dir.remove();
});

const register = (s: Served, name: string) => s.api('/integrations', { method: 'POST', body: { name } });

/** Writes zeros into `path` until the file system is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const mountPoint = (): string => join(dir.path, 'small-disk');
const mountable = (() => {
  // Evaluated at collection: mounting needs root in a namespace that allows it (CI has both).
  const probe = join(process.env.TMPDIR ?? '/tmp', `opendray-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  try {
    return canMount(probe);
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();
if (!mountable) console.warn('durability-faults: cannot mount a tmpfs here (needs root); the disk-full test does not run');

describe('faults are told the truth', () => {
  it.runIf(mountable)('on a full disk: 503s that leave nothing behind, health degraded, and every 2xx survives kill -9', { timeout: 90_000 }, async () => {
    mkdirSync(mountPoint(), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', mountPoint()]);
    try {
      const dataDir = join(mountPoint(), 'data');
      serve = await serveAt(dataDir, config);
      const s = serve;
      expect((await register(s, 'kept')).status).toBe(201);
      const kept = (await s.api('/integrations')).body.integrations[0];
      const session = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: 'before-full' } });
      expect(session.status).toBe(201);

      fillDisk(join(mountPoint(), 'filler'));
      const answered: Array<{ name: string; status: number; body: any }> = [];
      for (let i = 0; i < 8; i++) {
        const name = `full-${i}`;
        const res = await register(s, name);
        answered.push({ name, ...res });
      }
      const refused = answered.filter((a) => a.status !== 201);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ code: 'unavailable' });
        expect(r.body.error).toMatch(/disk is full/);
      }
      // A big record cannot fit at all: refused, and not listed afterwards.
      const big = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: 'too-big', env: { BIG: 'x'.repeat(30_000) } } });
      expect(big.status).toBe(503);
      expect((await s.api('/sessions')).body.sessions.map((x: any) => x.name)).not.toContain('too-big');

      // Output that cannot be written is kept in memory and shown by /health too.
      // (Typed without a newline, then Enter as a key: no history entry to store, ~100 KB to print.)
      expect((await s.api(`/sessions/${session.body.id}/input`, { method: 'POST', body: { data: 'seq 1 20000' } })).status).toBe(204);
      expect((await s.api(`/sessions/${session.body.id}/input`, { method: 'POST', body: { keys: ['Enter'] } })).status).toBe(204);
      const health = await until('health names both faults', async () => {
        const body = await (await fetch(`${s.url}/api/v1/health`)).json();
        return /session output/.test(body.reason ?? '') ? body : null;
      }, 45_000); // generous: bash must start and print ~100 KB on a machine that may be busy
      expect(health).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/store: writes fail \(the disk is full\)/) });

      // A DELETE that cannot be stored does not take effect.
      const del = await s.api(`/integrations/${kept.id}`, { method: 'DELETE' });
      expect(del.status).toBe(503);
      expect((await s.api(`/integrations/${kept.id}`)).status).toBe(200);
      // Refused registrations are not listed and hold no name.
      const listed = new Set((await s.api('/integrations')).body.integrations.map((x: any) => x.name));
      for (const r of refused) expect(listed.has(r.name)).toBe(false);

      // Space comes back: so does health, and a refused name can be registered.
      unlinkSync(join(mountPoint(), 'filler'));
      await until('health ok again', async () => (await fetch(`${s.url}/api/v1/health`)).status === 200);
      expect((await register(s, refused[0]!.name)).status).toBe(201);

      // Every acknowledged registration is there after a kill -9.
      await s.stop('SIGKILL');
      serve = await serveAt(dataDir, config);
      const after = new Set((await serve.api('/integrations')).body.integrations.map((x: any) => x.name));
      expect(after.has('kept')).toBe(true);
      for (const a of answered.filter((x) => x.status === 201)) expect(after.has(a.name)).toBe(true);
      for (const r of refused.slice(1)) expect(after.has(r.name)).toBe(false);
      expect(after.has(refused[0]!.name)).toBe(true);
      expect((await serve.api(`/sessions/${session.body.id}`)).body.state).toBe('interrupted');
      await serve.stop('SIGKILL');
      serve = undefined;
    } finally {
      execFileSync('umount', ['-l', mountPoint()]);
    }
  });

  it('says degraded and refuses writes when the store file is deleted while running', { timeout: 60_000 }, async () => {
    const dataDir = join(dir.path, 'deleted');
    serve = await serveAt(dataDir, config);
    const s = serve;
    expect((await register(s, 'before')).status).toBe(201);
    rmSync(join(dataDir, 'opendray.sqlite'));

    const health = await fetch(`${s.url}/api/v1/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/store file was deleted/) });
    const reg = await register(s, 'after');
    expect(reg.status).toBe(503);
    expect(reg.body.error).toMatch(/store file was deleted/);
    expect((await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash' } })).status).toBe(503);
    expect((await s.api('/integrations')).body.integrations.map((x: any) => x.name)).toEqual(['before']);
    await s.stop('SIGKILL');
    serve = undefined;
  });

  it('skips one malformed record at start-up, logging its key, and serves the rest', { timeout: 60_000 }, async () => {
    const dataDir = join(dir.path, 'malformed');
    serve = await serveAt(dataDir, config);
    const good = await register(serve, 'good');
    const bad = await register(serve, 'bad');
    const shape = await register(serve, 'no-key');
    const sessions = await Promise.all(['ok', 'broken'].map((name) => serve!.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name } })));
    expect(await serve.stop('SIGTERM')).toBe(0);

    const db = new Database(join(dataDir, 'opendray.sqlite'));
    const set = db.prepare('UPDATE keyv SET value = ? WHERE key = ?');
    set.run('{"value": not json', `opendray:integration:${bad.body.integration.id}`);
    set.run(JSON.stringify({ value: { id: shape.body.integration.id, name: 'no-key', scopes: [] } }), `opendray:integration:${shape.body.integration.id}`);
    set.run(JSON.stringify({ value: { id: sessions[1]!.body.id, name: 7 } }), `opendray:session:${sessions[1]!.body.id}`);
    db.close();

    serve = await serveAt(dataDir, config);
    const s = serve;
    expect((await s.api('/integrations')).body.integrations.map((x: any) => x.name)).toEqual(['good']);
    expect((await s.api('/auth/me', { token: good.body.api_key })).status).toBe(200);
    expect((await s.api('/sessions')).body.sessions.map((x: any) => x.name)).toEqual(['ok']);
    await until('skips logged', () => /skipped a stored record/.test(s.stderr()));
    for (const key of [`integration:${bad.body.integration.id}`, `integration:${shape.body.integration.id}`, `session:${sessions[1]!.body.id}`]) {
      expect(s.stderr()).toContain(key);
    }
    await s.stop('SIGKILL');
    serve = undefined;
  });

  it('answers 503 "out of file descriptors" when no descriptor is left for a PTY', { timeout: 60_000 }, async () => {
    serve = await serveAt(join(dir.path, 'fds'), config, {}, 30_000, ['prlimit', '--nofile=160:160']);
    const s = serve;
    let failure: { status: number; body: any } | undefined;
    for (let i = 0; i < 200 && !failure; i++) {
      const res = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: `fd-${i}` } });
      if (res.status !== 201) failure = res;
    }
    expect(failure).toBeDefined();
    expect(failure!.status).toBe(503);
    expect(failure!.body).toMatchObject({ code: 'unavailable', error: expect.stringMatching(/out of file descriptors/) });
    await s.stop('SIGKILL');
    serve = undefined;
  });
});
