import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createSession } from '../fixtures/sessions.js';
import { waitFor, waitForOutput } from '../support/gateway.js';
import { MODES, field, startBox, type Box } from './support.js';

/** Host pids whose command line contains `marker`. */
function hostPidsRunning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.each(MODES)("a session goes for other sessions' processes (sandbox %s)", (mode) => {
  let box: Box;
  const leftovers: number[] = [];
  afterEach(async () => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await box?.close();
  });

  it(mode === 'bwrap' ? "sees only its own process tree and cannot signal another tenant's process" : "off: sees and kills another tenant's process", async () => {
    box = await startBox(mode);
    const victimTenant = await box.integration('victim');
    const attacker = await box.integration('attacker');
    const victim = await createSession(box.t, { provider_id: 'sh', args: ['-c', 'exec sleep 3011'], cwd: await box.workdir('victim') }, victimTenant.key);
    const [victimPid] = await waitFor(() => {
      const pids = hostPidsRunning('sleep\u00003011');
      return pids.length ? pids : null;
    });
    const out = await box.run(
      attacker.key,
      [
        `echo "PIDS=$(ls /proc | grep -c '^[0-9]')"`,
        // Command lines that start with `sleep 30…`: the victim's, never this script's own.
        `echo "SEES=$(for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 30')"`,
        `kill -9 ${victimPid} 2>/dev/null && echo "KILL=yes" || echo "KILL=no"`,
      ].join('; '),
    );
    if (mode === 'bwrap') {
      // bwrap's init, the shell and the commands it runs: nothing of anyone else.
      expect(Number(field(out, 'PIDS'))).toBeLessThan(8);
      expect(field(out, 'SEES')).toBe('0');
      expect(field(out, 'KILL')).toBe('no');
      expect((await box.t.apiJson(`/sessions/${victim.id}`)).body.state).toBe('running');
    } else {
      expect(Number(field(out, 'SEES'))).toBeGreaterThan(0);
      expect(field(out, 'KILL')).toBe('yes');
      await waitFor(async () => (await box.t.apiJson(`/sessions/${victim.id}`)).body.state === 'ended');
    }
  });

  it('an interactive shell keeps its terminal, job control and its exit status', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('shell-user');
    const s = await createSession(box.t, { provider_id: 'sh', cwd: await box.workdir('interactive') }, key);
    await box.t.api(`/sessions/${s.id}/input`, { method: 'POST', token: key, body: { data: 'sleep 5 & jobs; echo JOBS-$((1+1)); exit 3\n' } });
    await waitFor(async () => (await box.t.apiJson(`/sessions/${s.id}`, { token: key })).body.state === 'ended');
    const out = await waitForOutput(box.t, s.id, 'JOBS-2');
    expect(out).toMatch(/\[1\] \+ Running +sleep 5/);
    expect(out).not.toContain('Cannot set tty process group');
    expect((await box.t.apiJson(`/sessions/${s.id}`, { token: key })).body.exit_code).toBe(3);
  });

  it('a stop reaches the process inside first (graceful), then the whole session', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('stopper');
    const s = await createSession(
      box.t,
      { provider_id: 'sh', args: ['-c', "trap 'echo GOT-SIGNAL; exit 0' HUP TERM; echo READY; while :; do sleep 0.1; done"], cwd: await box.workdir('graceful') },
      key,
    );
    await waitForOutput(box.t, s.id, 'READY');
    const stopped = await box.t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST', token: key });
    expect(stopped.body.state).toBe('stopped');
    expect(await waitForOutput(box.t, s.id, 'GOT-SIGNAL')).toContain('GOT-SIGNAL');
  });

  it(mode === 'bwrap' ? 'a stop also ends a daemon that left the terminal session (setsid)' : 'off: a daemon that left the terminal session (setsid) survives a stop', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('daemon');
    const s = await createSession(box.t, { provider_id: 'sh', args: ['-c', 'setsid sleep 3023 & echo READY; sleep 600'], cwd: await box.workdir('daemon') }, key);
    await waitForOutput(box.t, s.id, 'READY');
    await waitFor(() => hostPidsRunning('sleep\u00003023').length > 0);
    await box.t.apiJson(`/sessions/${s.id}/stop`, { method: 'POST', token: key });
    if (mode === 'bwrap') {
      await waitFor(() => hostPidsRunning('sleep\u00003023').length === 0, 10_000);
    } else {
      const survivors = hostPidsRunning('sleep\u00003023');
      leftovers.push(...survivors);
      expect(survivors.length).toBe(1);
    }
  });
});
