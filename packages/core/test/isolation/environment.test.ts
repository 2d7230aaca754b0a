import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/gateway.js';
import { MODES, field, startBox, type Box } from './support.js';

// The attack of issue #11 §1: a shell session printed $OPENDRAY_ADMIN_TOKEN and the
// printed token worked as admin. These variables stand for the gateway's secrets.
const planted = {
  OPENDRAY_ADMIN_TOKEN: ADMIN_TOKEN,
  OPENDRAY_ADMIN_PASSWORD: 'planted-admin-password',
  GATEWAY_DATABASE_PASSWORD: 'planted-unrelated-secret',
};
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries(planted)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe.each(MODES)('a session reads the gateway environment (sandbox %s)', (mode) => {
  let box: Box;
  afterEach(async () => box?.close());

  it('sees only the allow-listed variables, whatever the sandbox', async () => {
    box = await startBox(mode);
    const { key } = await box.integration('env-thief');
    const out = await box.run(key, 'echo "OD=$(env | grep -c ^OPENDRAY_)"; echo "TOKEN=[$OPENDRAY_ADMIN_TOKEN]"; echo "OTHER=[$GATEWAY_DATABASE_PASSWORD]"; echo "NAMES=$(env | cut -d= -f1 | sort | tr "\\n" " ")"');
    expect(field(out, 'OD')).toBe('0');
    expect(field(out, 'TOKEN')).toBe('[]');
    expect(field(out, 'OTHER')).toBe('[]');
    // What does pass: the allow-list of SPEC §15 (the shell adds PWD and SHLVL itself).
    const names = field(out, 'NAMES')!.trim().split(' ');
    const allowed = /^(PATH|HOME|LANG|LC_\w+|TERM|USER|LOGNAME|SHELL|PWD|SHLVL|OLDPWD|_)$/;
    expect(names.filter((n) => !allowed.test(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['PATH', 'HOME', 'TERM']));
    expect(out).not.toContain(planted.OPENDRAY_ADMIN_PASSWORD);
  });

  it(mode === 'bwrap' ? "cannot see the gateway's /proc entry" : "off: reads the gateway's /proc entry (its command line and starting environment)", async () => {
    box = await startBox(mode);
    const { key } = await box.integration('proc-reader');
    const pid = process.pid;
    const out = await box.run(key, `[ -e /proc/${pid}/environ ] && echo "GW=visible" || echo "GW=hidden"; tr '\\0' '\\n' < /proc/${pid}/environ 2>/dev/null | grep -c '^PATH=' | sed 's/^/ENVIRON=/'`);
    if (mode === 'bwrap') {
      expect(field(out, 'GW')).toBe('hidden');
      expect(field(out, 'ENVIRON')).toBe('0');
    } else {
      // What the operator gives up: the gateway's environment as it was started is readable.
      expect(field(out, 'GW')).toBe('visible');
      expect(field(out, 'ENVIRON')).toBe('1');
    }
  });
});
