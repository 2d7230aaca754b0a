import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerIntegration, startGateway, waitFor, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput } from './support/run.js';

interface Entry {
  id: string;
  integration_id?: string;
  direction: string;
  status_code: number;
  path: string;
}

let t: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;
let integrationId: string;
let otherId: string;

beforeAll(async () => {
  t = await startGateway();
  config = await configHome();
  const a = await registerIntegration(t, { name: 'caller-a', scopes: ['session:read'] });
  const b = await registerIntegration(t, { name: 'caller-b', scopes: ['session:read'] });
  integrationId = a.integration.id;
  otherId = b.integration.id;
  // Two admin registrations (201), three inbound calls of caller-a (two 200s, one 404),
  // one of caller-b, one rejected key.
  await t.api('/sessions', { token: a.api_key });
  await t.api('/auth/me', { token: a.api_key });
  await t.api('/sessions/ses_AAAAAAAAAAAA', { token: a.api_key });
  await t.api('/sessions', { token: b.api_key });
  await t.api('/sessions', { token: 'odk_live_' + 'x'.repeat(43) });
  // The call log is written in batches: wait until all seven are there.
  await waitFor(async () => (await t.apiJson('/integrations/_calls')).body.entries.length >= 7);
});
afterAll(async () => {
  await t.close();
  await config.cleanup();
});

const cli = (args: string[]) => runCliWithInput(['calls', ...args], { env: { XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN } });
const entries = async (args: string[]): Promise<Entry[]> => {
  const res = await cli([...args, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout).entries as Entry[];
};

describe('opendray calls', () => {
  it('prints the log as a table, newest first, and as JSON', async () => {
    const res = await cli([]);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+DIRECTION\s+STATUS\s+METHOD/);
    expect(lines).toHaveLength(8);
    expect(lines[1]).toMatch(/rejected\s+401\s+GET/);
    expect(lines[7]).toMatch(/admin\s+201\s+POST/);
    const page = JSON.parse((await cli(['--json'])).stdout);
    expect(page.entries).toHaveLength(7);
    expect(page.next_cursor).toBeNull();
  });

  it('filters by integration (id or name), direction, status class and time', async () => {
    const byName = await entries(['--integration', 'caller-a']);
    expect(byName).toHaveLength(3);
    expect(byName.every((e) => e.integration_id === integrationId)).toBe(true);
    expect(await entries(['--integration', otherId])).toHaveLength(1);
    const rejected = await entries(['--direction', 'rejected']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.status_code).toBe(401);
    const notFound = await entries(['--status-class', '4xx', '--integration', 'caller-a']);
    expect(notFound.map((e) => e.status_code)).toEqual([404]);
    expect(await entries(['--status-class', '2'])).toHaveLength(5);
    expect(await entries(['--direction', 'admin'])).toHaveLength(2);
    expect(await entries(['--since', '1h'])).toHaveLength(7);
    expect(await entries(['--until', '2000-01-01T00:00:00Z'])).toHaveLength(0);

    const none = await cli(['--until', '2000-01-01T00:00:00Z']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('No calls.\n');
  });

  it('pages with --limit and --cursor, or reads every page with --all', async () => {
    const first = await cli(['--limit', '2']);
    expect(first.stdout.trim().split('\n')).toHaveLength(3);
    const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeTruthy();
    const page1 = JSON.parse((await cli(['--limit', '2', '--json'])).stdout);
    const page2 = JSON.parse((await cli(['--limit', '2', '--cursor', cursor!, '--json'])).stdout);
    expect(page2.entries).toHaveLength(2);
    const ids1 = page1.entries.map((e: Entry) => e.id);
    expect(page2.entries.some((e: Entry) => ids1.includes(e.id))).toBe(false);

    const all = await entries(['--all', '--limit', '1']);
    expect(all).toHaveLength(7);
    expect(new Set(all.map((e) => e.id)).size).toBe(7);
    const allTable = await cli(['--all', '--limit', '2']);
    expect(allTable.stdout.trim().split('\n')).toHaveLength(8);
    expect(allTable.stderr).toBe('');
  });

  it('bad filters are usage errors (exit 2); an unknown integration name is exit 1', async () => {
    for (const args of [['--since', 'yesterday'], ['--status-class', '6'], ['--direction', 'sideways'], ['--limit', '501']]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    }
    const unknown = await cli(['--integration', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('opendray: 404 not_found: no integration named "nobody"\n');
  });
});
