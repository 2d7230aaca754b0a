import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput } from './support/run.js';

const KEY = /^api_key:\s+(odk_live_[A-Za-z0-9_-]{43})$/m;

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

/** `opendray <args>` against the test gateway with the admin token from the environment. */
const cli = (args: string[]) => runCliWithInput(args, { env: { XDG_CONFIG_HOME: config.dir, OPENDRAY_URL: t.url, OPENDRAY_TOKEN: ADMIN_TOKEN } });
const status = async (key: string): Promise<number> => (await t.api('/auth/me', { token: key })).status;

describe('opendray integrations', () => {
  it('add prints the key once with a warning; the key works; list never shows it', async () => {
    const res = await cli(['integrations', 'add', '--name', 'bot-a', '--scope', 'session:read', '--scope', 'session:create,session:input', '--max-sessions', '3']);
    expect(res.code).toBe(0);
    const key = KEY.exec(res.stdout)?.[1];
    expect(key).toBeTruthy();
    expect(res.stdout).toMatch(/^id:\s+int_/m);
    expect(res.stdout).not.toContain('signing_secret');
    expect(res.stderr).toMatch(/shown only this once/);
    expect(await status(key!)).toBe(200);
    const stored = (await t.apiJson('/integrations')).body.integrations.find((i: { name: string }) => i.name === 'bot-a');
    // Named scopes come on top of the defaults (session:read is both).
    expect(stored.scopes).toEqual(['session:read', 'event:subscribe:session.*', 'session:create', 'session:input']);
    expect(stored.max_sessions).toBe(3);

    const list = await cli(['integrations', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ENABLED\s+HEALTH/);
    expect(list.stdout).toMatch(new RegExp(`${stored.id}\\s+bot-a\\s+yes\\s+unknown`));
    expect(list.stdout).not.toContain('odk_live_');
    const json = await cli(['integrations', 'list', '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.integrations.find((i: { id: string }) => i.id === stored.id)).toEqual(stored);
    expect(json.stdout).not.toContain('odk_live_');
  });

  it('add --json with --base-url returns the key and the signing secret', async () => {
    const res = await cli(['integrations', 'add', '--name', 'web-b', '--base-url', 'http://127.0.0.1:9/app', '--route-prefix', 'web-b', '--json']);
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body.api_key).toMatch(/^odk_live_[A-Za-z0-9_-]{43}$/);
    expect(typeof body.signing_secret).toBe('string');
    expect(body.integration).toMatchObject({ name: 'web-b', base_url: 'http://127.0.0.1:9/app', route_prefix: 'web-b' });
    expect(await status(body.api_key)).toBe(200);
  });

  it('rotate (by name) kills the old key, or keeps it for --grace-seconds', async () => {
    const added = JSON.parse((await cli(['integrations', 'add', '--name', 'rot-c', '--json'])).stdout);
    const first = added.api_key as string;

    const graced = await cli(['integrations', 'rotate', 'rot-c', '--grace-seconds', '60']);
    expect(graced.code).toBe(0);
    const second = KEY.exec(graced.stdout)?.[1];
    expect(second).toBeTruthy();
    expect(graced.stderr).toContain('keeps working for 60 s');
    expect(await status(first)).toBe(200);
    expect(await status(second!)).toBe(200);

    const rotated = await cli(['integrations', 'rotate', added.integration.id, '--json']);
    const third = JSON.parse(rotated.stdout).api_key as string;
    expect(await status(second!)).toBe(401);
    expect(await status(third)).toBe(200);
  });

  it('disable, enable and rm (by name or id)', async () => {
    const added = JSON.parse((await cli(['integrations', 'add', '--name', 'tog-d', '--json'])).stdout);
    const id = added.integration.id as string;
    const disabled = await cli(['integrations', 'disable', 'tog-d']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toBe(`disabled ${id} (tog-d)\n`);
    expect(await status(added.api_key)).toBe(401);
    const enabled = await cli(['integrations', 'enable', id, '--json']);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ id, enabled: true });
    expect(await status(added.api_key)).toBe(200);

    const rm = await cli(['integrations', 'rm', 'tog-d']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe(`deleted ${id}\n`);
    expect((await t.api(`/integrations/${id}`)).status).toBe(404);
  });

  it('API errors are one line with exit 1; usage errors exit 2', async () => {
    await cli(['integrations', 'add', '--name', 'dup-e']);
    const dup = await cli(['integrations', 'add', '--name', 'dup-e']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^opendray: 409 conflict: .+\n$/);
    expect(dup.stdout).toBe('');

    const scope = await cli(['integrations', 'add', '--name', 'bad-scope', '--scope', 'session:reed']);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toMatch(/^opendray: 400 validation_failed: .*scope.*\n$/);

    const missing = await cli(['integrations', 'rm', 'int_AAAAAAAAAAAA']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^opendray: 404 not_found: .+\n$/);
    const noName = await cli(['integrations', 'disable', 'nobody-here']);
    expect(noName.stderr).toBe('opendray: 404 not_found: no integration named "nobody-here"\n');
    expect(noName.code).toBe(1);

    const noFlag = await cli(['integrations', 'add']);
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toMatch(/required option '--name <name>'/);
    const badNumber = await cli(['integrations', 'add', '--name', 'x', '--max-sessions', 'lots']);
    expect(badNumber.code).toBe(2);
    const unknown = await cli(['integrations', 'frobnicate']);
    expect(unknown.code).toBe(2);
  });

  it('a bad admin token is a 401 line; an unreachable gateway names the URL', async () => {
    const res = await runCliWithInput(['integrations', 'list', '--url', t.url, '--token', 'wrong-token'], { env: { XDG_CONFIG_HOME: config.dir } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^opendray: 401 unauthorized: [^\n]+\n$/);
    expect(res.stderr).not.toContain('wrong-token');

    const port = await closedPort();
    const down = await runCliWithInput(['integrations', 'list', '--url', `http://127.0.0.1:${port}`, '--token', 'x'], { env: { XDG_CONFIG_HOME: config.dir } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`opendray: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)\n`);
  });
});

/** A port nothing listens on (it was just free). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
