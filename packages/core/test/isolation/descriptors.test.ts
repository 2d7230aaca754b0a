import { readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createSession } from '../fixtures/sessions.js';
import { ADMIN_TOKEN, openWs, waitForOutput } from '../support/gateway.js';
import { MODES, startBox, type Box } from './support.js';

const require = createRequire(import.meta.url);

/** The descriptors of this (the gateway's) process that point at a PTY master, a socket or a file. */
function gatewayDescriptors(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

/**
 * The shell's own descriptors: `ls` lists `/proc/<shell>/fd` from a child process, so
 * nothing of the listing itself counts (no pipeline either: a shell holds a pipe's end
 * for a moment while it starts one).
 */
const LIST_FDS = 'ls -l /proc/$$/fd';
const fdLines = (out: string): Array<[number, string]> =>
  [...out.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]!.trim()] as [number, string]);

describe.each(MODES)('a session looks for inherited descriptors (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  it('holds only its terminal on 0, 1 and 2 while other sessions, the store and sockets are open', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('fd-thief');
    // Other tenants' sessions (their PTY masters are open in the gateway), an open stream
    // socket, the SQLite store and the listening socket: all are descriptors of the gateway.
    const victims = await Promise.all([1, 2, 3].map(async () => createSession(box.t, { provider_id: 'sh', args: ['-c', 'sleep 30'], cwd: await box.workdir('victim') })));
    const ws = await openWs(`${box.t.wsUrl}/api/v1/sessions/${victims[0].id}/stream`, { token: ADMIN_TOKEN });
    const held = gatewayDescriptors();
    expect(held.filter((t) => t === '/dev/ptmx').length).toBeGreaterThanOrEqual(3);
    expect(held.some((t) => t.startsWith('socket:'))).toBe(true);

    // `$$` is the shell itself; the glob's directory descriptor is closed before the loop runs.
    const out = await box.run(key, LIST_FDS);
    const fds = fdLines(out);
    expect(fds.map(([n]) => n)).toEqual([0, 1, 2]);
    for (const [, target] of fds) expect(target).toMatch(mode === 'bwrap' ? /^\/dev\/(pts\/\d+|console)$/ : /^\/dev\/pts\/\d+$/);
    ws.close();
  });

  it('a burst of concurrent creates: every session holds only 0, 1 and 2', async () => {
    box = await startBox(mode);
    const tenants = await Promise.all([1, 2, 3, 4].map((i) => box.integration(`burst-${i}`)));
    const outputs = await Promise.all(tenants.flatMap((t) => [1, 2].map(() => box.run(t.key, `${LIST_FDS}; sleep 0.5`))));
    expect(outputs).toHaveLength(8);
    for (const out of outputs) expect(fdLines(out).map(([n]) => n)).toEqual([0, 1, 2]);
  });

  it('an interactive shell holds nothing but its own terminal either', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('fd-thief');
    await createSession(box.t, { provider_id: 'sh', args: ['-c', 'sleep 30'], cwd: await box.workdir('victim') });
    const s = await createSession(box.t, { provider_id: 'bash', cwd: await box.workdir('interactive') }, key);
    await box.t.api(`/sessions/${s.id}/input`, { method: 'POST', token: key, body: { data: `${LIST_FDS}; echo DONE-$((6*7))\n` } });
    const out = (await waitForOutput(box.t, s.id, 'DONE-42')).replace(/\r\n/g, '\n');
    const fds = fdLines(out);
    // bash keeps a copy of its terminal on 255 for job control; nothing else.
    expect(fds.map(([n]) => n).sort((a, b) => a - b)).toEqual(expect.arrayContaining([0, 1, 2]));
    for (const [n, target] of fds) {
      expect([0, 1, 2, 255]).toContain(n);
      expect(target).not.toBe('/dev/ptmx');
      expect(target).toMatch(/^\/dev\/(pts\/\d+|console)$/);
    }
  });
});

describe('the leak the shim closes (control)', () => {
  it('a plain node-pty child inherits the PTY masters of earlier children', async () => {
    // Without the shim, node-pty 1.1 leaves every master open in later children
    // (microsoft/node-pty#657): this is what the tests above would otherwise see.
    const pty = require('node-pty') as typeof import('node-pty');
    const first = pty.spawn('/bin/sh', ['-c', 'sleep 10'], { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const second = pty.spawn('/bin/sh', ['-c', LIST_FDS], { cols: 80, rows: 24, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let out = '';
    second.onData((d) => (out += d));
    await new Promise<void>((resolve) => second.onExit(() => resolve()));
    first.kill('SIGKILL');
    expect(fdLines(out.replace(/\r\n/g, '\n')).some(([, target]) => target === '/dev/ptmx')).toBe(true);
  });
});
