import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/index.js';
import { argMatches, checkRequestArgs, checkRequestEnv, envNameMatches } from '../../src/sessions/launch-policy.js';
import { builtinManifests } from '../../src/sessions/providers/builtin.js';
import { mountArgs } from '../../src/sessions/sandbox/mount-plan.js';
import { sessionEnv } from '../../src/sessions/session-env.js';

const claude = builtinManifests().find((m) => m.id === 'claude')!;

describe('launch policy pieces', () => {
  it('matches flags in the spellings CLIs accept, and nothing else', () => {
    expect(argMatches('--settings', '--settings')).toBe(true);
    expect(argMatches('--settings=x.json', '--settings')).toBe(true);
    expect(argMatches('--approvalMode', '--approval-mode')).toBe(true);
    expect(argMatches('--approval_mode=yolo', '--approval-mode')).toBe(true);
    expect(argMatches('--settingsx', '--settings')).toBe(false);
    expect(argMatches('-c', '-c')).toBe(true);
    expect(argMatches('-xc', '-c')).toBe(true);
    expect(argMatches('-cfoo', '-c')).toBe(true);
    expect(argMatches('--c', '-c')).toBe(false);
    expect(argMatches('-m', '-c')).toBe(false);
    expect(argMatches('sandbox', 'sandbox')).toBe(true);
    expect(argMatches('sandboxed', 'sandbox')).toBe(false);
  });

  it('matches env patterns by prefix, suffix or name, case-insensitively', () => {
    expect(envNameMatches('LD_PRELOAD', ['LD_*'])).toBe('LD_*');
    expect(envNameMatches('ANTHROPIC_BASE_URL', ['*_BASE_URL'])).toBe('*_BASE_URL');
    expect(envNameMatches('http_proxy', ['*_PROXY'])).toBe('*_PROXY');
    expect(envNameMatches('ENVIRONMENT', ['ENV'])).toBeUndefined();
    expect(() => checkRequestEnv(claude, { NODE_ENV: 'production', GIT_AUTHOR_NAME: 'x', ANTHROPIC_API_KEY: 'own' })).not.toThrow();
    expect(() => checkRequestEnv(claude, { CLAUDE_CODE_SHELL_PREFIX: 'x' })).toThrow(/env\.CLAUDE_CODE_SHELL_PREFIX/);
  });

  it("refuses env that would override a pinned field's variable, but lets an integration bring its own key", () => {
    const m = { ...claude, config_env: { ...claude.config_env, permission_mode: 'MY_MODE' } };
    expect(() => checkRequestEnv(m, { MY_MODE: 'bypass' }, new Set(['permission_mode']))).toThrow(/env\.MY_MODE/);
    expect(() => checkRequestEnv(m, { ANTHROPIC_API_KEY: 'its-own' }, new Set(['api_key']))).not.toThrow();
  });

  it('pins only what the operator set', () => {
    expect(() => checkRequestArgs(claude, new Set(), ['--permission-mode', 'plan'])).not.toThrow();
    expect(() => checkRequestArgs(claude, new Set(['permission_mode']), ['--verbose', '--permission-mode=plan'])).toThrow(/^args\[1\]: "--permission-mode" would override "permission_mode"/);
    expect(() => checkRequestArgs({ ...claude, accepts_args: false }, new Set(), [])).not.toThrow();
  });
});

describe('the sandbox mount plan', () => {
  it('orders mounts so the deeper rule wins, and a hard hide beats a writable place around it', () => {
    const args = mountArgs({
      writable: ['/home/op/ws', '/data/homes/int_a'],
      hidden: [
        { path: '/data', dir: true, hard: true },
        { path: '/data/opendray.sqlite', dir: false, hard: true },
        { path: '/home/op/ws/opendray.toml', dir: false, hard: true },
        { path: '/home/op', dir: true, hard: false },
      ],
      exposed: ['/home/op/.nvm/versions/node/v20/lib', '/usr/lib', '/data/evil'],
      privateDirs: ['/tmp'],
    });
    const line = args.join(' ');
    expect(args.slice(0, 3)).toEqual(['--ro-bind', '/', '/']);
    expect(line).toContain('--tmpfs /tmp');
    // The sqlite file is inside the hidden data dir with nothing between: no extra mount.
    expect(line).not.toContain('/data/opendray.sqlite');
    // Exposed only where something hides it, and never inside the data dir.
    expect(line).toContain('--ro-bind /home/op/.nvm/versions/node/v20/lib /home/op/.nvm/versions/node/v20/lib');
    expect(line).not.toContain('/usr/lib');
    expect(line).not.toContain('/data/evil');
    const at = (s: string): number => line.indexOf(s);
    expect(at('--tmpfs /home/op')).toBeLessThan(at('--bind /home/op/ws /home/op/ws'));
    expect(at('--bind /home/op/ws /home/op/ws')).toBeLessThan(at('--ro-bind /dev/null /home/op/ws/opendray.toml'));
    expect(at('--tmpfs /data')).toBeLessThan(at('--bind /data/homes/int_a /data/homes/int_a'));
  });
});

describe('the session environment', () => {
  it('passes only the allow-list of the gateway, never OPENDRAY_*, and TERM last', () => {
    const env = sessionEnv({
      home: '/h',
      launchEnv: { OPENDRAY_X: 'no', FROM_PROVIDER: 'yes', TERM: 'dumb' },
      gatewayEnv: { PATH: '/bin', LANG: 'C', LC_ALL: 'C', USER: 'u', SECRET: 's', OPENDRAY_ADMIN_TOKEN: 't', HOME: '/root' },
    });
    expect(env).toEqual({ PATH: '/bin', LANG: 'C', LC_ALL: 'C', USER: 'u', HOME: '/h', FROM_PROVIDER: 'yes', TERM: 'xterm-256color' });
  });
});

describe('provider definitions with a launch policy', () => {
  it('fail at createGateway naming the field', async () => {
    const bad: Array<[unknown, string]> = [
      [{ id: 'x', command: 'x', accepts_args: 'no' }, 'providers[0].accepts_args'],
      [{ id: 'x', command: 'x', refuse_args: ['--ok', 'has space'] }, 'providers[0].refuse_args[1]'],
      [{ id: 'x', command: 'x', refuse_env: ['BAD-NAME'] }, 'providers[0].refuse_env[0]'],
      [{ id: 'x', command: 'x', env: { OPENDRAY_ADMIN_TOKEN: 'x' } }, 'providers[0].env.OPENDRAY_ADMIN_TOKEN'],
      [{ id: 'x', command: 'x', config_schema: { key: { type: 'string', secret: true, integration_writable: true } } }, 'providers[0].config_schema.key.integration_writable'],
    ];
    for (const [def, field] of bad) {
      await expect(createGateway({ sandbox: 'off', providers: [def as never] })).rejects.toThrow(field);
    }
  });

  it('a workspace root inside the data dir, or a data dir of /, fails at createGateway', async () => {
    await expect(createGateway({ sandbox: 'off', dataDir: '/srv/od', workspaceRoot: '/srv/od/ws' })).rejects.toThrow(/^workspaceRoot: must not be inside the data dir/);
    await expect(createGateway({ sandbox: 'off', dataDir: '/' })).rejects.toThrow(/^dataDir: must not be "\/"/);
    await expect(createGateway({ sandbox: 'off', hiddenPaths: [''] })).rejects.toThrow(/^hiddenPaths/);
  });
});
