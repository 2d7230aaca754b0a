import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { BASE, MODES, field, startBox, type Box } from './support.js';

const given = <T>(mode: string, expected: { bwrap: T; off: T }): T => (mode === 'bwrap' ? expected.bwrap : expected.off);

describe.each(MODES)('a session goes for files it must not reach (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  it(given(mode, { bwrap: 'cannot read the store, the data dir or the config file', off: 'off: reads the store, the data dir and the config file' }), async () => {
    const configDir = await mkOutsideDir();
    onTestFinished(() => rm(configDir, { recursive: true, force: true }));
    const configFile = join(configDir, 'opendray.toml');
    await writeFile(configFile, 'admin_token = "in-the-config-file"\n');
    box = await startBox(mode, { hiddenPaths: [configFile] });
    const { id, key } = await box.integration('store-thief');
    await box.run((await box.integration('other-tenant')).key, 'echo x > "$HOME/mine"');
    // Issue #11 §3: the store gave every redacted secret, and a row inserted there made a working admin token.
    await box.t.apiJson('/providers/claude/config', { method: 'PATCH', body: { api_key: 'sk-operator-secret-key' } });
    const db = join(box.dataDir, 'opendray.sqlite');
    const keyFile = join(box.dataDir, 'admin.json');
    await writeFile(keyFile, '{"user":"admin","password_hash":"$2b$12$x"}\n', { mode: 0o600 });
    const out = await box.run(
      key,
      [
        `cat ${db} ${db}-wal 2>/dev/null | grep -c sk-operator-secret-key | sed 's/^/STORE=/'`,
        `echo "DATADIR=$(ls -A ${box.dataDir} 2>/dev/null | tr '\\n' ' ')"`,
        `echo "HOMES=$(ls -A ${join(box.dataDir, 'homes')} 2>/dev/null | tr '\\n' ' ')"`,
        `echo "CONFIG=$(cat ${configFile} 2>/dev/null)"`,
        // A write lands in the sandbox's own empty view of the data dir, never in the real one.
        `echo '{"user":"attacker"}' > ${keyFile} 2>/dev/null`,
      ].join('; '),
    );
    expect(Number(field(out, 'STORE')) > 0).toBe(mode === 'off');
    // Inside the sandbox the data dir is an empty tmpfs holding only the mount point of this tenant's HOME.
    expect(field(out, 'DATADIR')?.trim()).toBe(given(mode, { bwrap: 'homes', off: 'admin.json homes opendray.sqlite opendray.sqlite-shm opendray.sqlite-wal' }));
    expect(field(out, 'HOMES')?.trim().split(' ').length).toBe(given(mode, { bwrap: 1, off: 2 }));
    expect(field(out, 'HOMES')).toContain(id);
    expect(field(out, 'CONFIG')).toBe(given(mode, { bwrap: '', off: 'admin_token = "in-the-config-file"' }));
    expect((await readFile(keyFile, 'utf8')).includes('attacker')).toBe(mode === 'off');
  });

  it(given(mode, { bwrap: 'writes only its cwd and its HOME; the system, the workspace root and /tmp of the host stay untouched', off: 'off: writes anywhere the gateway user may' }), async () => {
    box = await startBox(mode);
    const { id, key } = await box.integration('writer');
    const cwd = await box.workdir('mine');
    const out = await box.run(
      key,
      [
        'touch ./in-cwd && echo "CWD=yes" || echo "CWD=no"',
        'touch "$HOME/in-home" && echo "HOME_W=yes" || echo "HOME_W=no"',
        `touch ${join(box.outside, 'planted')} 2>/dev/null && echo "OUTSIDE=yes" || echo "OUTSIDE=no"`,
        `touch ${join(box.workspace, 'beside-cwd')} 2>/dev/null && echo "ROOT=yes" || echo "ROOT=no"`,
        'touch /usr/opendray-planted 2>/dev/null && echo "SYSTEM=yes" || echo "SYSTEM=no"',
        'echo t > /tmp/opendray-isolation-probe && echo "TMP=yes"',
      ].join('; '),
      { cwd },
    );
    expect(field(out, 'CWD')).toBe('yes');
    expect(field(out, 'HOME_W')).toBe('yes');
    expect(existsSync(join(cwd, 'in-cwd'))).toBe(true);
    expect(existsSync(join(box.dataDir, 'homes', id, 'in-home'))).toBe(true);
    expect(field(out, 'OUTSIDE')).toBe(given(mode, { bwrap: 'no', off: 'yes' }));
    expect(field(out, 'ROOT')).toBe(given(mode, { bwrap: 'no', off: 'yes' }));
    expect(existsSync(join(box.outside, 'planted'))).toBe(mode === 'off');
    if (mode === 'bwrap') expect(field(out, 'SYSTEM')).toBe('no');
    // The session's /tmp is its own (a tmpfs): the host's /tmp never sees the file.
    expect(field(out, 'TMP')).toBe('yes');
    expect(existsSync('/tmp/opendray-isolation-probe')).toBe(mode === 'off');
    if (mode === 'off') await rm('/tmp/opendray-isolation-probe', { force: true });
  });

  it(given(mode, { bwrap: "never sees another integration's HOME, nor the operator's", off: "off: HOMEs are separate, but another tenant's is readable" }), async () => {
    box = await startBox(mode);
    const a = await box.integration('tenant-a');
    const b = await box.integration('tenant-b');
    await box.run(a.key, 'echo "a-login-token" > "$HOME/.agent-login"; echo "echo a-history" >> "$HOME/.bash_history"');
    const homeA = join(box.dataDir, 'homes', a.id);
    expect(await readFile(join(homeA, '.agent-login'), 'utf8')).toBe('a-login-token\n');
    const operatorFile = existsSync(join(homedir(), '.bashrc')) ? join(homedir(), '.bashrc') : homedir();
    const out = await box.run(
      b.key,
      [
        'echo "MYHOME=$HOME"',
        `echo "A=$(cat ${join(homeA, '.agent-login')} 2>/dev/null)"`,
        `[ -e ${operatorFile} ] && echo "OPERATOR=visible" || echo "OPERATOR=hidden"`,
        'echo "OWN=$(ls -A "$HOME" | wc -l)"',
      ].join('; '),
    );
    expect(field(out, 'MYHOME')).toBe(join(box.dataDir, 'homes', b.id));
    expect(field(out, 'OWN')).toBe('0');
    expect(field(out, 'A')).toBe(given(mode, { bwrap: '', off: 'a-login-token' }));
    if (homedir() !== '/') expect(field(out, 'OPERATOR')).toBe(given(mode, { bwrap: 'hidden', off: 'visible' }));

    // A deleted tenant's HOME (its agent logins) goes with it.
    expect((await box.t.apiJson(`/integrations/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    await expect.poll(() => existsSync(homeA)).toBe(false);
  });
});

/** A directory outside any box, for a config file the gateway is told to hide. */
async function mkOutsideDir(): Promise<string> {
  await mkdir(BASE, { recursive: true });
  return mkdtemp(join(BASE, 'config-'));
}
