import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../core/test/support/gateway.js';
import { configHome, runCliWithInput, spawnCliInPty, type PtyRun } from './support/run.js';

const USER = 'ops';
const PASSWORD = 'correct horse battery';

let t: TestGateway;
let other: TestGateway;
let config: Awaited<ReturnType<typeof configHome>>;
const runs: PtyRun[] = [];

beforeAll(async () => {
  t = await startGateway({ auth: { admin: { username: USER, password: PASSWORD } } });
  other = await startGateway({ auth: { admin: { username: USER, password: PASSWORD } } });
});
beforeEach(async () => {
  config = await configHome();
});
afterEach(async () => {
  for (const r of runs.splice(0)) r.kill();
  await config.cleanup();
});
afterAll(async () => {
  await t.close();
  await other.close();
});

const credentialsFile = (): string => join(config.dir, 'opendray', 'credentials.json');
const cli = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) => runCliWithInput(args, { env: { XDG_CONFIG_HOME: config.dir, ...env }, input });
const savedToken = async (url: string): Promise<string> => JSON.parse(await readFile(credentialsFile(), 'utf8')).gateways[url].token;
const me = (url: string, token: string) => fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });

describe('opendray login / logout', () => {
  it('saves the token 0600 keyed by URL (in XDG_CONFIG_HOME) and later commands use it without --token', async () => {
    const res = await cli(['login', '--url', `${t.url}/`, '--username', USER, '--password-stdin'], `${PASSWORD}\n`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Logged in to ${t.url} as ${USER}`);

    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);
    expect((await stat(join(config.dir, 'opendray'))).mode & 0o777).toBe(0o700);
    const file = JSON.parse(await readFile(credentialsFile(), 'utf8'));
    expect(file.current).toBe(t.url);
    const token = file.gateways[t.url].token as string;
    expect(file.gateways[t.url].username).toBe(USER);
    expect((await me(t.url, token)).status).toBe(200);
    // The token is saved, never printed; the password is neither.
    expect(res.stdout + res.stderr).not.toContain(token);
    expect(await readFile(credentialsFile(), 'utf8')).not.toContain(PASSWORD);

    // Reuse: with --url, and without it (the last login's gateway is the default).
    await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'shell', name: 'via-login' } });
    for (const args of [['sessions', 'list', '--url', t.url, '--json'], ['sessions', 'list', '--json']]) {
      const list = await cli(args);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).sessions.some((s: { name: string }) => s.name === 'via-login')).toBe(true);
      expect(list.stdout + list.stderr).not.toContain(token);
    }

    // A second gateway gets its own entry; the first one's stays.
    const second = await cli(['login', '--url', other.url, '--username', USER, '--password-stdin'], PASSWORD);
    expect(second.code).toBe(0);
    expect(await savedToken(t.url)).toBe(token);
    expect(await savedToken(other.url)).not.toBe(token);
    expect((await cli(['integrations', 'list', '--url', t.url])).code).toBe(0);
  });

  it('logout revokes the token on the gateway and forgets it', async () => {
    expect((await cli(['login', '--url', t.url, '--username', USER, '--password-stdin'], PASSWORD)).code).toBe(0);
    const token = await savedToken(t.url);
    const res = await cli(['logout', '--url', t.url]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Logged out of ${t.url}`);
    expect((await me(t.url, token)).status).toBe(401);
    const file = JSON.parse(await readFile(credentialsFile(), 'utf8'));
    expect(file.gateways[t.url]).toBeUndefined();
    expect((await stat(credentialsFile())).mode & 0o777).toBe(0o600);

    const after = await cli(['sessions', 'list', '--url', t.url]);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(`opendray: not logged in to ${t.url}: run "opendray login --url ${t.url}", or pass --token / set OPENDRAY_TOKEN\n`);
  });

  it('a refused saved login says how to renew it; an expired one is caught before any call', async () => {
    expect((await cli(['login', '--url', t.url, '--username', USER, '--password-stdin'], PASSWORD)).code).toBe(0);
    const token = await savedToken(t.url);
    await fetch(`${t.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const refused = await cli(['sessions', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^opendray: 401 unauthorized: .*opendray login --url /);

    const file = JSON.parse(await readFile(credentialsFile(), 'utf8'));
    file.gateways[t.url].expires_at = '2000-01-01T00:00:00.000Z';
    await writeFile(credentialsFile(), JSON.stringify(file), { mode: 0o600 });
    const expired = await cli(['sessions', 'list']);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toBe(`opendray: the saved login to ${t.url} expired: run "opendray login --url ${t.url}" again\n`);
  });

  it('wrong password: one line, exit 1, nothing saved; no terminal and no --password-stdin: exit 2', async () => {
    const wrong = await cli(['login', '--url', t.url, '--username', USER, '--password-stdin'], 'nope');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('opendray: 401 unauthorized: invalid credentials\n');
    await expect(stat(credentialsFile())).rejects.toThrow();

    const noTty = await cli(['login', '--url', t.url]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toBe('opendray: no terminal to ask for the password: use --password-stdin\n');
    const badUrl = await cli(['login', '--url', 'ftp://x', '--password-stdin'], 'x');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toBe('opendray: --url: must be http(s): ftp://x\n');
  });

  it('prompts for the username and the password on a terminal without echoing the password', async () => {
    const run = spawnCliInPty(['login', '--url', t.url], { env: { XDG_CONFIG_HOME: config.dir } });
    runs.push(run);
    await run.waitFor('Username [admin]: ');
    run.term.write(`${USER}\r`);
    await run.waitFor('Password for ops');
    run.term.write(`${PASSWORD}\r`);
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain(`Logged in to ${t.url} as ${USER}`);
    expect(run.output()).not.toContain(PASSWORD);
    expect((await me(t.url, await savedToken(t.url))).status).toBe(200);
  });

  it('warns when the credentials file is readable by others', async () => {
    await mkdir(join(config.dir, 'opendray'), { recursive: true });
    expect((await cli(['login', '--url', t.url, '--username', USER, '--password-stdin'], PASSWORD)).code).toBe(0);
    await chmod(credentialsFile(), 0o644);
    const res = await cli(['sessions', 'list']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`warning: ${credentialsFile()} is readable by other users`);
  });
});
