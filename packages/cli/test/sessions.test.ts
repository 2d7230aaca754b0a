import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, tempDir, waitForOutput, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput } from './support/run.js';

let t: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;
let cwd: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  t = await startGateway();
  config = await configHome();
  cwd = await tempDir('opendray-cli-cwd-');
});
afterAll(async () => {
  await t.close();
  await config.cleanup();
  await cwd.remove();
});

const cli = (args: string[]) => runCliWithInput(args, { env: { XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN } });
const get = async (id: string) => t.apiJson(`/sessions/${id}`);

describe('opendray sessions', () => {
  it('new prints the id of a session made from every flag and the args after --', async () => {
    const res = await cli([
      'sessions', 'new', '--provider', 'shell', '--name', 'from-cli', '--cwd', cwd.path, '--cols', '90', '--rows', '20',
      '--env', 'GREETING=hello=world', '--', '-c', 'echo "$GREETING in $(pwd) $(stty size)"; sleep 30',
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^ses_[A-Za-z0-9_-]{12}\n$/);
    const id = res.stdout.trim();
    const { body } = await get(id);
    expect(body).toMatchObject({ name: 'from-cli', provider_id: 'shell', cols: 90, rows: 20, args: ['-c', expect.stringContaining('GREETING')] });
    await waitForOutput(t, id, `hello=world in ${cwd.path} 20 90`);
  });

  it('new --json prints the session; list shows it as a table and as JSON, filtered by state', async () => {
    const created = await cli(['sessions', 'new', '--name', 'listed', '--json']);
    expect(created.code).toBe(0);
    const session = JSON.parse(created.stdout);
    expect(session).toMatchObject({ name: 'listed', provider_id: 'shell', state: 'running', cols: 120, rows: 40 });

    const table = await cli(['sessions', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PROVIDER\s+STATE/);
    expect(table.stdout).toMatch(new RegExp(`${session.id}\\s+listed\\s+shell\\s+(running|idle)\\s`));

    const json = JSON.parse((await cli(['sessions', 'list', '--json'])).stdout);
    expect(json.sessions.find((s: { id: string }) => s.id === session.id)).toMatchObject({ name: 'listed' });
    const ended = JSON.parse((await cli(['sessions', 'list', '--state', 'ended', '--json'])).stdout);
    expect(ended.sessions.some((s: { id: string }) => s.id === session.id)).toBe(false);
  });

  it('kill stops sessions (leaving them listed); kill --rm forgets them', async () => {
    const a = (await cli(['sessions', 'new', '--name', 'kill-a'])).stdout.trim();
    const b = (await cli(['sessions', 'new', '--name', 'kill-b'])).stdout.trim();
    const killed = await cli(['sessions', 'kill', a, '--json']);
    expect(killed.code).toBe(0);
    const stopped = JSON.parse(killed.stdout).sessions;
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ id: a, state: 'stopped' });
    expect((await get(a)).body.state).toBe('stopped');

    const rm = await cli(['sessions', 'kill', '--rm', a, b]);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe(`deleted ${a}\ndeleted ${b}\n`);
    expect((await get(a)).status).toBe(404);
    expect((await get(b)).status).toBe(404);
  });

  it('new --attach bridges to the new session and exits with its code', async () => {
    const res = await runCliWithInput(['sessions', 'new', '--attach', '--', '-c', 'read line; echo "got $line"; exit 4'], {
      env: { XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN },
      input: 'piped\n',
    });
    expect(res.stdout).toContain('got piped');
    expect(res.code).toBe(4);
  });

  it('API errors are one line with exit 1; bad flags exit 2', async () => {
    const count = async (): Promise<number> => (await t.apiJson('/sessions')).body.sessions.length;
    const before = await count();
    const provider = await cli(['sessions', 'new', '--provider', 'no-such-provider']);
    expect(provider.code).toBe(1);
    expect(provider.stderr).toMatch(/^opendray: 400 validation_failed: .*provider.*\n$/);
    const dir = await cli(['sessions', 'new', '--cwd', '/definitely/not/here']);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toMatch(/^opendray: 400 validation_failed: .*cwd.*\n$/);
    const missing = await cli(['sessions', 'kill', 'ses_AAAAAAAAAAAA']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('opendray: 404 not_found: session not found\n');

    for (const args of [
      ['sessions', 'new', '--cols', '0'],
      ['sessions', 'new', '--rows', 'tall'],
      ['sessions', 'new', '--env', 'not a pair'],
      ['sessions', 'list', '--state', 'sleeping'],
      ['sessions', 'kill'],
      ['sessions', 'list', '--url', 'not a url'],
    ]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    // Nothing was created by the refused commands.
    expect(await count()).toBe(before);
  });
});
