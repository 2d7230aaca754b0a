import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput } from './support/run.js';

let t: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;

beforeAll(async () => {
  t = await startGateway();
  config = await configHome();
});
afterAll(async () => {
  await t.close();
  await config.cleanup();
});

const env = () => ({ XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN });
const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCliWithInput(args, { env: { ...env(), ...extra } });
const integration = async (name: string) => (await t.apiJson('/integrations')).body.integrations.find((i: { name: string }) => i.name === name);

describe('global flags and errors', () => {
  it('accepts --url, --token and --json before the sub-command as well as after it', async () => {
    const bare = { XDG_CONFIG_HOME: config.dir };
    const before = await runCliWithInput(['--url', t.url, '--token', ADMIN_TOKEN, '--json', 'sessions', 'list'], { env: bare });
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual({ sessions: expect.any(Array) });
    const after = await runCliWithInput(['sessions', 'list', '--json', '--url', t.url, '--token', ADMIN_TOKEN], { env: bare });
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
  });

  it('usage errors are one "opendray: …" line with exit 2', async () => {
    const res = await cli(['sessions', 'list', '--bogus']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("opendray: unknown option '--bogus'\n");
  });

  it('a validation error names the flag that was typed, not the JSON field', async () => {
    await cli(['integrations', 'add', '--name', 'flag-names']);
    const res = await cli(['integrations', 'update', 'flag-names', '--base-url', 'http://127.0.0.1:9', '--route-prefix', 'Not A Slug']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^opendray: 400 validation_failed: --route-prefix: /);
  });

  it('hints name the command as the user runs it: npx opendray under npm exec', async () => {
    const viaNpx = await cli(['sessions', 'list'], { OPENDRAY_TOKEN: '', npm_command: 'exec' });
    expect(viaNpx.stderr).toContain(`run "npx opendray login --url ${t.url}"`);
    const direct = await cli(['sessions', 'list'], { OPENDRAY_TOKEN: '' });
    expect(direct.stderr).toContain(`run "opendray login --url ${t.url}"`);
  });

  it('a 429 says when to retry', async () => {
    const added = await cli(['integrations', 'add', '--name', 'capped', '--scope', 'session:create', '--max-sessions', '0']);
    const key = /^api_key:\s+(\S+)$/m.exec(added.stdout)![1]!;
    const res = await cli(['sessions', 'new'], { OPENDRAY_TOKEN: key });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^opendray: 429 rate_limited: .+ \(retry in \d+ s\)\n$/);
  });
});

describe('integrations add / update', () => {
  it('--scope adds to the default scopes; --no-default-scopes grants only what is named', async () => {
    expect((await cli(['integrations', 'add', '--name', 'with-defaults', '--scope', 'session:input'])).code).toBe(0);
    expect((await integration('with-defaults')).scopes).toEqual(['session:read', 'event:subscribe:session.*', 'session:input']);
    expect((await cli(['integrations', 'add', '--name', 'only-named', '--no-default-scopes', '--scope', 'provider:read'])).code).toBe(0);
    expect((await integration('only-named')).scopes).toEqual(['provider:read']);
    const none = await cli(['integrations', 'add', '--name', 'nothing', '--no-default-scopes']);
    expect(none.code).toBe(2);
    expect(await integration('nothing')).toBeUndefined();
  });

  it('update changes scopes (replace, add, remove) and limits by name', async () => {
    await cli(['integrations', 'add', '--name', 'updatable']);
    const added = await cli(['integrations', 'update', 'updatable', '--add-scope', 'session:create,session:input', '--remove-scope', 'session:read', '--max-sessions', '7']);
    expect(added.code).toBe(0);
    expect(await integration('updatable')).toMatchObject({ scopes: ['event:subscribe:session.*', 'session:create', 'session:input'], max_sessions: 7 });
    const replaced = await cli(['integrations', 'update', 'updatable', '--scope', 'session:read', '--json']);
    expect(JSON.parse(replaced.stdout).scopes).toEqual(['session:read']);
    const nothing = await cli(['integrations', 'update', 'updatable']);
    expect(nothing.code).toBe(2);
  });
});

describe('sessions by name, owners by name', () => {
  it('kill and attach take a unique name; an ambiguous name lists the ids', async () => {
    const a = (await t.apiJson('/sessions', { method: 'POST', body: { name: 'named-one' } })).body;
    const res = await cli(['sessions', 'kill', 'named-one']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`stopped ${a.id}\n`);
    expect((await t.apiJson(`/sessions/${a.id}`)).body.state).toBe('stopped');

    const b = (await t.apiJson('/sessions', { method: 'POST', body: { name: 'twice' } })).body;
    const c = (await t.apiJson('/sessions', { method: 'POST', body: { name: 'twice' } })).body;
    const twice = await cli(['sessions', 'kill', 'twice']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(b.id);
    expect(twice.stderr).toContain(c.id);
    const missing = await cli(['sessions', 'attach', 'no-such-name']);
    expect(missing.stderr).toBe('opendray: 404 not_found: no session named "no-such-name"\n');
    await cli(['sessions', 'kill', '--rm', b.id, c.id]);
  });

  it('list --alive shows only running or idle sessions, with the owner integration by name', async () => {
    const added = await cli(['integrations', 'add', '--name', 'owner-bot', '--scope', 'session:create']);
    const key = /^api_key:\s+(\S+)$/m.exec(added.stdout)![1]!;
    const mine = (await t.apiJson('/sessions', { method: 'POST', token: key, body: { name: 'bots-session' } })).body;
    const dead = (await t.apiJson('/sessions', { method: 'POST', body: { name: 'dead-one' } })).body;
    await t.api(`/sessions/${dead.id}/stop`, { method: 'POST' });
    const list = await cli(['sessions', 'list', '--alive']);
    expect(list.code).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.startsWith(mine.id));
    expect(row).toMatch(/\bowner-bot\b/);
    expect(list.stdout).not.toContain(dead.id);
  });
});

describe('auth token, providers, status, completion', () => {
  it('auth token prints the credential later commands use', async () => {
    const res = await cli(['auth', 'token']);
    expect(res).toMatchObject({ code: 0, stdout: `${ADMIN_TOKEN}\n` });
  });

  it('providers list shows each provider and whether it is installed', async () => {
    const res = await cli(['providers', 'list']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+KIND\s+ENABLED\s+INSTALLED/);
    expect(res.stdout).toMatch(/^shell\s+.*\byes\b/m);
  });

  it('status shows the version, sessions by state and integrations with health', async () => {
    const res = await cli(['status', '--json']);
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout);
    expect(status).toMatchObject({ health: { status: 'ok' }, principal: { kind: 'admin' }, integrations: expect.any(Array) });
    expect(Object.values(status.sessions as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const table = await cli(['status']);
    expect(table.stdout).toMatch(/^version:\s+\S+/m);
    expect(table.stdout).toMatch(/^NAME\s+ENABLED\s+HEALTH/m);
  });

  it('completion prints a script for bash, zsh and fish; another shell is a usage error', async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -o default -F _opendray opendray');
    expect(bash.stdout).toContain('"sessions") words="');
    expect((await cli(['completion', 'zsh'])).stdout).toMatch(/^#compdef opendray/);
    expect((await cli(['completion', 'fish'])).stdout).toContain("complete -c opendray -n '__fish_use_subcommand' -a '");
    const tcsh = await cli(['completion', 'tcsh']);
    expect(tcsh.code).toBe(2);
  });
});
