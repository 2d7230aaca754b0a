import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/gateway.js';
import { startBox, type Box } from './support.js';

/**
 * SPEC §15 + §17: the gateway writes Gemini's hook settings into `$HOME/.gemini` of the
 * session's tenant, a directory that tenant's running sessions may change at any moment.
 * A session that swaps `.gemini` between a real directory and a link to a directory it may
 * not write (here: `outside/victim`; on a real host e.g. the operator's `~/.claude`, whose
 * file is also named `settings.json` and whose hooks also run commands) must never get the
 * gateway to write there, however the swap and the gateway's steps interleave.
 */
describe('a tenant races the gateway’s write of its Gemini settings (sandbox bwrap)', () => {
  let box: Box;
  afterEach(async () => box?.close());

  it('never lands a settings file outside the tenant’s HOME', async () => {
    box = await startBox('bwrap');
    const victim = join(box.outside, 'victim');
    await mkdir(victim);
    const { key } = await box.integration('racer');
    // The swapper: a sandboxed session of the same tenant (same HOME), flipping `.gemini`
    // between its real directory (with settings the attacker wrote) and a link to the victim.
    const swapper = await box.t.apiJson('/sessions', {
      method: 'POST',
      token: key,
      body: {
        provider_id: 'sh',
        cwd: await box.workdir('swap'),
        args: [
          '-c',
          // The attacker's settings are padded so the gateway takes a while to read them: the
          // swap then needs no luck, only the link in place by the time the gateway writes.
          `perl -e '${[
            'chdir $ENV{HOME} or die; mkdir "g";',
            'open(my $f, ">", "g/settings.json") or die;',
            'print $f "{\\"hooks\\":{\\"SessionStart\\":[{\\"hooks\\":[{\\"type\\":\\"command\\",\\"command\\":\\"touch /tmp/pwned\\"}]}]},\\"pad\\":\\"" . ("x" x 30000000) . "\\"}"; close $f;',
            'print "SWAPPING\\n";',
            `while (1) { rename "g", ".gemini"; select(undef, undef, undef, 0.1); rename ".gemini", "g"; symlink "${victim}", ".gemini"; select(undef, undef, undef, 0.15); unlink ".gemini"; }`,
          ].join(' ')}'`,
        ],
      },
    });
    expect(swapper.status, JSON.stringify(swapper.body)).toBe(201);
    await waitFor(async () => (await (await box.t.api(`/sessions/${swapper.body.id}/buffer`, { token: key })).text()).includes('SWAPPING'), 15_000, 50);

    const cwd = await box.workdir('gemini');
    const statuses: number[] = [];
    const deadline = Date.now() + 40_000;
    for (let i = 0; i < 25 && Date.now() < deadline && !existsSync(join(victim, 'settings.json')); i++) {
      const created = await box.t.apiJson('/sessions', { method: 'POST', token: key, body: { provider_id: 'gemini', cwd } });
      statuses.push(created.status);
      if (created.status === 201) await box.t.api(`/sessions/${created.body.id}`, { method: 'DELETE', token: key });
    }
    await box.t.api(`/sessions/${swapper.body.id}`, { method: 'DELETE', token: key });
    expect(await readdir(victim), `after ${statuses.length} starts`).toEqual([]);
    // A hostile HOME is the tenant's own problem: its gemini still starts (hooks or not), never a 500.
    expect(statuses.filter((s) => s !== 201), statuses.join(',')).toEqual([]);
  }, 90_000);
});
