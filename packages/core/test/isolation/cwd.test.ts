import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/gateway.js';
import { MODES, startBox, type Box } from './support.js';

// Issue #11 §6: cwd roots could not be configured for `opendray serve`, and a restarted
// session did not re-check its cwd, so a swapped symlink led out of the roots.
describe.each(MODES)('a session cwd against the roots (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  const create = (token: string | undefined, cwd: string) =>
    box.t.apiJson('/sessions', { method: 'POST', ...(token ? { token } : {}), body: { provider_id: 'sh', args: ['-c', 'echo STARTED; sleep 30'], cwd } });

  it('re-checks the real path on restart: a symlink swapped to point outside the roots does not start', async () => {
    box = await startBox(mode, ({ workspace }) => ({ allowedRoots: [join(workspace, 'allowed')] }));
    const root = join(box.workspace, 'allowed');
    await mkdir(join(root, 'real-project'), { recursive: true });
    const link = join(root, 'project');
    await symlink(join(root, 'real-project'), link);
    const { key } = await box.integration('swapper');
    const created = await create(key, link);
    expect(created.status).toBe(201);
    expect((await create(key, box.outside)).body.error).toBe('cwd: outside the allowed roots');
    await box.t.apiJson(`/sessions/${created.body.id}/stop`, { method: 'POST', token: key });

    // The attacker swaps the link (a session of the same tenant could, inside its cwd).
    await rename(link, `${link}.old`);
    await symlink(box.outside, link);
    const restart = await box.t.apiJson(`/sessions/${created.body.id}/start`, { method: 'POST', token: key });
    expect(restart.status).toBe(409);
    expect(restart.body.error).toBe(`cwd ${link}: outside the allowed roots`);
    expect((await box.t.apiJson(`/sessions/${created.body.id}`, { token: key })).body.state).toBe('stopped');
  });

  it('never runs a session in the data dir, not even the admin', async () => {
    box = await startBox(mode);
    const { id, key } = await box.integration('nester');
    await box.run(key, 'true'); // creates its HOME under the data dir
    for (const cwd of [box.dataDir, join(box.dataDir, 'homes', id)]) {
      for (const token of [key, undefined]) {
        const res = await create(token, cwd);
        expect(res.status).toBe(400);
        expect(res.body.error).toBe("cwd: inside the gateway's data dir");
      }
    }
  });

  it(mode === 'bwrap' ? "keeps an integration's sandboxed session in the workspace root when no roots are set" : 'off: an integration may run anywhere when no roots are set', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('wanderer');
    const res = await create(key, box.outside);
    if (mode === 'bwrap') {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('cwd: outside the allowed roots');
    } else {
      expect(res.status).toBe(201);
    }
    // The operator's own sessions are not confined.
    const admin = await create(undefined, box.outside);
    expect(admin.status).toBe(201);
    await waitFor(async () => (await box.t.api(`/sessions/${admin.body.id}/buffer`)).text().then((t) => t.includes('STARTED')));
  });
});
