import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { createStores, resolveOptions } from '../src/defaults.js';
import { GatewayError } from '../src/errors.js';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { silentLogger } from '../src/log.js';
import { parseVersion } from '../src/sessions/providers/probe.js';
import { createProviderRegistry } from '../src/sessions/providers/registry.js';
import { findExecutable } from '../src/sessions/providers/which.js';
import { openStorage } from '../src/stores/keyv/open.js';
import { registerIntegration, startGateway, tempDir, waitFor, type TestGateway } from './support/gateway.js';

const FAKE_BIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bin');
const AGENT_ID = '3f2b8c1e-9d4a-4e6b-8f00-0123456789ab';
const run = promisify(execFile);

/** Real integration keys: provider:read, provider:read+write, and no provider scope. */
async function integrationKeys(t: TestGateway): Promise<{ reader: string; writer: string; nobody: string }> {
  const [reader, writer, nobody] = await Promise.all([
    registerIntegration(t, { name: 'reader', scopes: ['provider:read'] }),
    registerIntegration(t, { name: 'writer', scopes: ['provider:read', 'provider:write'] }),
    registerIntegration(t, { name: 'nobody', scopes: ['session:read'] }),
  ]);
  return { reader: reader.api_key, writer: writer.api_key, nobody: nobody.api_key };
}

const originalPath = process.env.PATH;
beforeAll(() => {
  // The probe and resolveLaunch read PATH when they run: the fake agents come first.
  process.env.PATH = `${FAKE_BIN}:${originalPath}`;
});
afterAll(() => {
  process.env.PATH = originalPath;
});

async function registry(options: GatewayOptions = {}) {
  const stores = createStores(await openStorage('memory'));
  return createProviderRegistry({ options: resolveOptions(options), clock: systemClock, logger: silentLogger, stores });
}

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('provider routes over HTTP', () => {
  let t: TestGateway;
  afterEach(async () => {
    await t?.close();
  });

  it('lists the built-ins and operator providers with their probed runtime', async () => {
    t = await startGateway({
      providers: [
        { id: 'aider', command: 'aider-not-installed-here', display_name: 'Aider' },
        { id: 'fake-claude', command: join(FAKE_BIN, 'claude'), args: ['--verbose'] },
      ],
    });
    const { reader } = await integrationKeys(t);
    const { status, body } = await t.apiJson('/providers');
    expect(status).toBe(200);
    expect(body.providers.map((p: { id: string }) => p.id)).toEqual(['shell', 'claude', 'codex', 'gemini', 'grok', 'opencode', 'aider', 'fake-claude']);
    const aider = body.providers.find((p: { id: string }) => p.id === 'aider');
    expect(aider).toEqual({
      id: 'aider',
      display_name: 'Aider',
      kind: 'cli',
      enabled: true,
      config: {},
      runtime: { installed: false },
      // v2's shape beside ours (SPEC §16).
      manifest: {
        id: 'aider',
        displayName: 'Aider',
        kind: 'cli',
        executable: 'aider-not-installed-here',
        capabilities: { supportsResume: false, supportsStream: true, supportsImages: false, supportsMcp: false },
        configSchema: [],
      },
    });
    const shell = body.providers.find((p: { id: string }) => p.id === 'shell');
    expect(shell).toMatchObject({ display_name: 'Shell', kind: 'shell', enabled: true, runtime: { installed: true } });

    // The version may arrive after the first answer; the cache then serves it.
    const versions = { claude: '1.0.99', codex: '0.99.0', gemini: '0.99.1', 'fake-claude': '1.0.99' } as const;
    for (const [id, version] of Object.entries(versions)) {
      const provider = await waitFor(async () => {
        const res = await t.apiJson(`/providers/${id}`, { token: reader });
        return res.body.runtime.version ? res.body : null;
      });
      expect(provider.runtime).toEqual({ installed: true, version, path: join(FAKE_BIN, id.replace('fake-', '')) });
      expect(provider.kind).toBe('cli');
    }
  });

  it('answers while a slow --version is still running', async () => {
    const dir = await tempDir();
    const slow = join(dir.path, 'slow-agent');
    await writeFile(slow, '#!/bin/sh\nsleep 5\necho 1.2.3\n');
    await chmod(slow, 0o755);
    t = await startGateway({ providers: [{ id: 'slow', command: slow }] });
    const { status, body } = await t.apiJson('/providers/slow');
    expect(status).toBe(200);
    // Found on disk at once; the version probe (killed after 2 s) never held the request.
    expect(body.runtime).toEqual({ installed: true, path: slow });
    await dir.remove();
  });

  it('is 404 for an unknown provider and 403 without the scope', async () => {
    t = await startGateway();
    const { reader, nobody } = await integrationKeys(t);
    const missing = await t.apiJson('/providers/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect((await t.apiJson('/providers/nope/config', { method: 'PATCH', body: { model: 'x' } })).status).toBe(404);

    const list = await t.apiJson('/providers', { token: nobody });
    expect(list.status).toBe(403);
    expect(list.body).toMatchObject({ code: 'missing_scope', error: expect.stringContaining('provider:read') });
    expect((await t.apiJson('/providers/claude', { token: nobody })).status).toBe(403);
    const patch = await t.apiJson('/providers/claude/config', { method: 'PATCH', token: reader, body: { model: 'x' } });
    expect(patch.status).toBe(403);
    expect(patch.body.error).toContain('provider:write');
    expect((await t.apiJson('/providers', { token: null })).status).toBe(401);
  });

  it('patches as a merge, redacts secrets for integrations and shows them to the admin', async () => {
    t = await startGateway();
    const { reader } = await integrationKeys(t);
    // Only the admin may set these (SPEC §15); what an integration may patch: isolation/provider-config.test.ts.
    const first = await t.apiJson('/providers/claude/config', {
      method: 'PATCH',
      body: { model: 'opus', api_key: 'sk-ant-secret', permission_mode: 'plan', extra_args: ['--verbose'] },
    });
    expect(first.status).toBe(200);
    expect(first.body.id).toBe('claude');
    expect(first.body.config).toEqual({ model: 'opus', api_key: 'sk-ant-secret', permission_mode: 'plan', extra_args: ['--verbose'] });
    const asReader = await t.apiJson('/providers/claude', { token: reader });
    expect(asReader.body.config).toEqual({ model: 'opus', api_key: '********', permission_mode: 'plan', extra_args: ['--verbose'] });
    expect(JSON.stringify(asReader.body)).not.toContain('sk-ant-secret');

    // Merge: only `model` changes; the redacted placeholder keeps the stored secret; null removes.
    const second = await t.apiJson('/providers/claude/config', {
      method: 'PATCH',
      body: { model: 'sonnet', api_key: '********', permission_mode: null },
    });
    expect(second.body.config).toEqual({ model: 'sonnet', api_key: 'sk-ant-secret', extra_args: ['--verbose'] });

    const list = await t.apiJson('/providers', { token: reader });
    const claude = list.body.providers.find((p: { id: string }) => p.id === 'claude');
    expect(claude.config.api_key).toBe('********');
    expect(JSON.stringify(list.body)).not.toContain('sk-ant-secret');
  });

  it('applies concurrent patches of one provider without losing any (SQLite)', async () => {
    const dir = await tempDir();
    t = await startGateway({ storage: `sqlite://${join(dir.path, 'c.sqlite')}` });
    const patches = [{ model: 'gemini-2.5-pro' }, { approval_mode: 'yolo' }, { api_key: 'g' }, { extra_args: ['--debug'] }];
    const results = await Promise.all(patches.map((body) => t.apiJson('/providers/gemini/config', { method: 'PATCH', body })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await t.apiJson('/providers/gemini')).body.config).toEqual(Object.assign({}, ...patches));
    await t.close();
    await dir.remove();
  });

  it('rejects bad config with a 400 naming the field and stores nothing', async () => {
    t = await startGateway();
    await t.apiJson('/providers/codex/config', { method: 'PATCH', body: { model: 'gpt-5' } });
    const cases: [unknown, string][] = [
      [{ modle: 'x', colour: 'red' }, 'modle, colour'],
      [{ model: 42 }, 'model'],
      [{ sandbox: 'everything' }, 'sandbox'],
      [{ extra_args: ['--ok', 7] }, 'extra_args[1]'],
      [{ extra_args: '--not-a-list' }, 'extra_args'],
      [{ enabled: 'no' }, 'enabled'],
      [{ model: 'gpt-4', approval_policy: 'sometimes' }, 'approval_policy'],
      [['model', 'x'], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await t.apiJson('/providers/codex/config', { method: 'PATCH', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.error).toContain(field);
    }
    const badJson = await t.apiJson('/providers/codex/config', {
      method: 'PATCH',
      body: '{"model":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.code).toBe('invalid_json');
    expect((await t.apiJson('/providers/codex')).body.config).toEqual({ model: 'gpt-5' });
  });

  it('toggles enabled through the config and keeps everything across a restart on SQLite', async () => {
    const dir = await tempDir();
    const storage = `sqlite://${join(dir.path, 'opendray.sqlite')}`;
    t = await startGateway({ storage });
    const res = await t.apiJson('/providers/gemini/config', { method: 'PATCH', body: { enabled: false, api_key: 'g-key', model: 'gemini-2.5-pro' } });
    expect(res.body).toMatchObject({ enabled: false, config: { api_key: 'g-key', model: 'gemini-2.5-pro' } });
    expect(res.body.config).not.toHaveProperty('enabled');
    await t.close();

    t = await startGateway({ storage });
    const { reader } = await integrationKeys(t);
    const after = await t.apiJson('/providers/gemini');
    expect(after.body).toMatchObject({ enabled: false, config: { api_key: 'g-key', model: 'gemini-2.5-pro' } });
    expect((await t.apiJson('/providers/gemini', { token: reader })).body.config.api_key).toBe('********');
    await t.close();
    await dir.remove();
  });
});

describe('resolveLaunch', () => {
  it('builds the exact claude command lines for spawn and resume, config applied', async () => {
    const r = await registry();
    const spawn = await r.resolveLaunch('claude', { args: ['--debug'], env: { FOO: 'bar' }, agentSessionId: AGENT_ID, resume: false });
    expect(spawn).toEqual({
      command: join(FAKE_BIN, 'claude'),
      args: ['--session-id', AGENT_ID, '--debug'],
      env: { FOO: 'bar' },
      submitKey: '\r',
      files: [],
    });
    const resume = await r.resolveLaunch('claude', { args: [], env: {}, agentSessionId: AGENT_ID, resume: true });
    expect(resume.args).toEqual(['--resume', AGENT_ID]);

    // The fake agent shows what a real process receives.
    const { stdout } = await run(spawn.command, spawn.args, { env: { ...process.env, ...spawn.env, FAKE_AGENT_EXIT: '0' } });
    expect(stdout).toBe(`FAKE claude ARGV: [--session-id] [${AGENT_ID}] [--debug]\n`);
  });

  it('applies stored config as flags and env; the request model wins', async () => {
    const dir = await tempDir();
    const storage = `sqlite://${join(dir.path, 'p.sqlite')}`;
    const t = await startGateway({ storage });
    await t.apiJson('/providers/claude/config', {
      method: 'PATCH',
      body: { model: 'opus', api_key: 'sk-1', permission_mode: 'acceptEdits', extra_args: ['--add-dir', '/tmp'] },
    });
    await t.apiJson('/providers/codex/config', { method: 'PATCH', body: { model: 'gpt-5', sandbox: 'read-only', api_key: 'sk-2' } });
    await t.close();

    const keyv = await openStorage(storage);
    const r = createProviderRegistry({ options: resolveOptions({}), clock: systemClock, logger: silentLogger, stores: createStores(keyv) });
    const claude = await r.resolveLaunch('claude', { args: ['-c'], env: {}, model: 'haiku', agentSessionId: AGENT_ID, resume: false });
    expect(claude.args).toEqual(['--model', 'haiku', '--permission-mode', 'acceptEdits', '--add-dir', '/tmp', '--session-id', AGENT_ID, '-c']);
    expect(claude.env).toEqual({ ANTHROPIC_API_KEY: 'sk-1' });

    const codexSpawn = await r.resolveLaunch('codex', { args: [], env: { OPENAI_API_KEY: 'from-request' }, agentSessionId: AGENT_ID, resume: false });
    expect(codexSpawn.args).toEqual(['--model', 'gpt-5', '--sandbox', 'read-only']);
    expect(codexSpawn.env).toEqual({ OPENAI_API_KEY: 'from-request' });
    const codexResume = await r.resolveLaunch('codex', { args: ['fix it'], env: {}, agentSessionId: AGENT_ID, resume: true });
    expect(codexResume.args).toEqual(['resume', '--last', '--model', 'gpt-5', '--sandbox', 'read-only', 'fix it']);
    expect(codexResume.env).toEqual({ OPENAI_API_KEY: 'sk-2' });
    await keyv.disconnect();
    await dir.remove();
  });

  it('resumes gemini with --resume latest and runs the shell from $SHELL', async () => {
    const r = await registry();
    const gemini = await r.resolveLaunch('gemini', { args: [], env: {}, model: 'gemini-2.5-flash', agentSessionId: AGENT_ID, resume: true });
    expect(gemini).toMatchObject({ command: join(FAKE_BIN, 'gemini'), args: ['--model', 'gemini-2.5-flash', '--resume', 'latest'] });
    expect((await r.resolveLaunch('gemini', { args: [], env: {}, agentSessionId: AGENT_ID, resume: false })).args).toEqual([]);

    const shell = await r.resolveLaunch('shell', { args: [], env: {}, agentSessionId: AGENT_ID, resume: true });
    expect(shell.command).toBe(await findExecutable(process.env.SHELL || '/bin/sh'));
    expect(shell).toMatchObject({ args: [], submitKey: '\n' });
    expect(r.get('shell')).toMatchObject({ kind: 'shell', command: process.env.SHELL || '/bin/sh' });
  });

  it('refuses unknown providers (400), missing commands and disabled providers (409)', async () => {
    const r = await registry({ providers: [{ id: 'ghost', command: 'ghost-agent-cli' }, { id: 'off', command: 'sh', enabled: false }] });
    const unknown = await rejection(r.resolveLaunch('nope', { args: [], env: {}, agentSessionId: AGENT_ID, resume: false }));
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('provider_id');
    const missing = await rejection(r.resolveLaunch('ghost', { args: [], env: {}, agentSessionId: AGENT_ID, resume: false }));
    expect(missing.status).toBe(409);
    expect(missing.message).toContain('"ghost-agent-cli"');
    const off = await rejection(r.resolveLaunch('off', { args: [], env: {}, agentSessionId: AGENT_ID, resume: false }));
    expect(off.status).toBe(409);
    expect(off.message).toContain('disabled');
    const model = await rejection(r.resolveLaunch('shell', { args: [], env: {}, model: 'x', agentSessionId: AGENT_ID, resume: false }));
    expect(model.status).toBe(400);
    expect(model.message).toContain('model');
  });

  it('turns an operator command line into a provider and overrides built-ins field by field', async () => {
    const dir = await tempDir();
    const bin = join(dir.path, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'my-agent'), '#!/bin/sh\necho "$@"\n');
    await chmod(join(bin, 'my-agent'), 0o755);
    const r = await registry({
      providers: [
        {
          id: 'my-agent',
          command: join(bin, 'my-agent'),
          args: ['--tui'],
          env: { MY_MODE: 'fast' },
          resume: { spawnArgs: ['--new', '{agent_session_id}'], resumeArgs: ['--continue={agent_session_id}'] },
          config_schema: { token: { type: 'string', secret: true }, verbose: { type: 'boolean', default: true } },
          config_env: { token: 'MY_TOKEN' },
          config_flags: { verbose: '-v' },
        },
        { id: 'claude', command: join(FAKE_BIN, 'claude'), args: ['--dangerously-skip-permissions'] },
      ],
    });
    const spawn = await r.resolveLaunch('my-agent', { args: ['x'], env: {}, agentSessionId: 'abc', resume: false });
    expect(spawn).toEqual({ command: join(bin, 'my-agent'), args: ['--tui', '-v', '--new', 'abc', 'x'], env: { MY_MODE: 'fast' }, submitKey: '\r', files: [] });
    expect((await r.resolveLaunch('my-agent', { args: [], env: {}, agentSessionId: 'abc', resume: true })).args).toEqual(['--tui', '-v', '--continue=abc']);
    const claude = r.get('claude')!;
    expect(claude).toMatchObject({ display_name: 'Claude Code', submit_key: '\r', args: ['--dangerously-skip-permissions'] });
    expect(claude.resume?.resumeArgs).toEqual(['--resume', '{agent_session_id}']);
    await dir.remove();
  });

  it('rejects invalid operator definitions with a TypeError naming the field', async () => {
    const bad: [unknown, string][] = [
      [{ id: 'Bad Id', command: 'x' }, 'providers[0].id'],
      [{ id: 'x' }, 'providers[0].command'],
      [{ id: 'x', command: 'x', kind: 'gui' }, 'providers[0].kind'],
      [{ id: 'x', command: 'x', args: 'a b' }, 'providers[0].args'],
      [{ id: 'x', command: 'x', config_schema: { m: { type: 'float' } } }, 'providers[0].config_schema.m.type'],
      [{ id: 'x', command: 'x', config_schema: { enabled: { type: 'boolean' } } }, 'providers[0].config_schema.enabled'],
      [{ id: 'x', command: 'x', config_flags: { model: '--model' } }, 'providers[0].config_flags.model'],
      [{ id: 'claude', resume: { spawnArgs: [] } }, 'providers[0].resume.resumeArgs'],
      [{ id: 'x', command: 'x', env: { 'BAD-NAME': '1' } }, 'providers[0].env.BAD-NAME'],
    ];
    for (const [def, field] of bad) {
      await expect(registry({ providers: [def as never] }), JSON.stringify(def)).rejects.toThrow(TypeError);
      await expect(registry({ providers: [def as never] })).rejects.toThrow(field);
    }
    await expect(registry({ providers: [{ id: 'a', command: 'a' }, { id: 'a', command: 'b' }] })).rejects.toThrow('providers[1].id');
    await expect(createGateway({ providers: [{ id: 'x', command: '' }] })).rejects.toThrow('providers[0].command');
  });
});

describe('probe helpers', () => {
  it('finds executables on PATH in order, skipping non-executables and directories', async () => {
    const dir = await tempDir();
    const [a, b] = [join(dir.path, 'a'), join(dir.path, 'b')];
    await mkdir(a);
    await mkdir(b);
    await writeFile(join(a, 'tool'), 'not executable');
    await mkdir(join(a, 'dir-tool'));
    await writeFile(join(b, 'tool'), '#!/bin/sh\n');
    await chmod(join(b, 'tool'), 0o755);
    expect(await findExecutable('tool', `${a}:${b}`)).toBe(join(b, 'tool'));
    expect(await findExecutable('dir-tool', `${a}:${b}`)).toBeNull();
    expect(await findExecutable('tool', `relative:${a}`)).toBeNull();
    expect(await findExecutable(join(b, 'tool'), '')).toBe(join(b, 'tool'));
    expect(await findExecutable('claude')).toBe(join(FAKE_BIN, 'claude'));
    await dir.remove();
  });

  it('reads versions the way the real CLIs print them', () => {
    expect(parseVersion('1.0.99 (Claude Code)\n')).toBe('1.0.99');
    expect(parseVersion('codex-cli 0.46.0')).toBe('0.46.0');
    expect(parseVersion('GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\n...')).toBe('5.2.15');
    expect(parseVersion('\n  nightly build\n')).toBe('nightly build');
    expect(parseVersion('')).toBeUndefined();
  });
});
