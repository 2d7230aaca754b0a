import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, inParallel, ptyMasters, serveAt, sessionMembers, tempDir, until, writeConfig, type Served } from './support/durable.js';

// SPEC §5.7: stop = SIGHUP/SIGTERM to the process group, SIGKILL after the grace — of the
// whole tree, also what outlives the shell; an ended session keeps no terminal allocated.

let dir: { path: string; remove(): Promise<void> };
let config: string;
let serve: Served | undefined;
beforeAll(async () => {
  dir = await tempDir('opendray-procs-');
  config = await writeConfig(dir.path);
});
afterAll(async () => {
  await serve?.stop('SIGKILL');
  await dir.remove();
});

/** Starts, in a new bash session, a grandchild that ignores SIGTERM and SIGHUP; returns its pid. */
async function stubbornChild(s: Served, name: string): Promise<{ id: string; pid: number; child: number }> {
  const created = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  // The grandchild ignores both signals; `exec` makes the shell's own child gone, so it is orphaned once bash exits.
  await s.api(`/sessions/${id}/input`, {
    method: 'POST',
    body: { data: `bash -c 'trap "" TERM HUP; exec sleep 300' & echo CHILD=$!=\n` },
  });
  const text = await until(`child pid of ${name}`, async () => /CHILD=(\d+)=/.exec((await s.buffer(id)).text));
  const child = Number(text[1]);
  await until(`${name}'s child running`, () => alive(child));
  return { id, pid: created.body.pid, child };
}

/** The pts device of a session, and its identity now (a freed pts is gone or re-created). */
async function ttyOf(s: Served, id: string): Promise<{ path: string; ino: number; ctime: number }> {
  await s.api(`/sessions/${id}/input`, { method: 'POST', body: { data: 'echo TTY=$(tty)=\n' } });
  const m = await until(`tty of ${id}`, async () => /TTY=(\/dev\/pts\/\d+)=/.exec((await s.buffer(id)).text));
  const st = statSync(m[1]!);
  return { path: m[1]!, ino: st.ino, ctime: st.ctimeMs };
}

function stillAllocated(tty: { path: string; ino: number; ctime: number }): boolean {
  try {
    const st = statSync(tty.path);
    return st.ino === tty.ino && st.ctimeMs === tty.ctime;
  } catch {
    return false;
  }
}

describe('process trees and terminals', () => {
  it('kills a TERM/HUP-ignoring grandchild on stop, on delete and on gateway shutdown', { timeout: 60_000 }, async () => {
    serve = await serveAt(join(dir.path, 'stubborn'), config);
    const s = serve;
    const stopped = await stubbornChild(s, 'stop-me');
    const deleted = await stubbornChild(s, 'delete-me');
    const atShutdown = await stubbornChild(s, 'shutdown');

    expect((await s.api(`/sessions/${stopped.id}/stop`, { method: 'POST' })).body.state).toBe('stopped');
    expect((await s.api(`/sessions/${deleted.id}`, { method: 'DELETE' })).status).toBe(204);
    // The grace is 3 s; what is left then gets SIGKILL.
    await until('stopped session child gone', () => !alive(stopped.child), 10_000);
    await until('deleted session child gone', () => !alive(deleted.child), 10_000);
    expect(sessionMembers(stopped.pid)).toEqual([]);
    expect(sessionMembers(deleted.pid)).toEqual([]);

    expect(alive(atShutdown.child)).toBe(true);
    expect(await s.stop('SIGTERM')).toBe(0);
    serve = undefined;
    expect(alive(atShutdown.child)).toBe(false);
    expect(sessionMembers(atShutdown.pid)).toEqual([]);
  });

  it('releases every terminal of ended sessions after churn, background jobs or not', { timeout: 90_000 }, async () => {
    serve = await serveAt(join(dir.path, 'churn'), config);
    const s = serve;
    const keep = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: 'stays' } });
    expect(keep.status).toBe(201);

    const rounds = Array.from({ length: 40 }, (_, i) => i);
    const ended = await inParallel(rounds, 4, async (i) => {
      const created = await s.api('/sessions', { method: 'POST', body: { provider_id: 'bash', name: `churn-${i}` } });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      const tty = await ttyOf(s, id);
      // Half leave a job that holds the terminal behind; half of each kind end by themselves, half are stopped.
      const job = i % 2 === 0 ? 'sleep 300 & ' : '';
      if (i % 4 < 2) {
        await s.api(`/sessions/${id}/input`, { method: 'POST', body: { data: `${job}exit\n` } });
        await until(`${id} ended`, async () => (await s.api(`/sessions/${id}`)).body.state === 'ended');
      } else {
        await s.api(`/sessions/${id}/input`, { method: 'POST', body: { data: `${job}true\n` } });
        expect((await s.api(`/sessions/${id}/stop`, { method: 'POST' })).body.state).toBe('stopped');
      }
      return { id, pid: created.body.pid as number, tty };
    });

    // Every ended session's process tree and terminal are gone (the grace is 3 s); the live one keeps its own.
    await until('ended sessions released', () => ended.every((e) => sessionMembers(e.pid).length === 0 && !stillAllocated(e.tty)), 20_000, 200);
    const servePid = s.child.pid!;
    await until('one PTY master per live session', () => ptyMasters(servePid) === 1, 10_000);
    expect(sessionMembers(keep.body.pid).length).toBeGreaterThan(0);
  });
});
