import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { ADMIN_TOKEN, startGateway, waitForOutput, type TestGateway } from './support/gateway.js';

let t: TestGateway;
let lines: Array<Record<string, unknown>>;
let raw = '';
let failNext = false;

beforeAll(async () => {
  lines = [];
  t = await startGateway({
    logger: createLogger('debug', (line) => {
      raw += line;
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }),
    hooks: {
      preHandler: [
        () => {
          if (failNext) {
            failNext = false;
            throw new Error('a bug in a hook');
          }
        },
      ],
    },
  });
});
afterAll(async () => {
  await t.close();
});

const linesAbout = (pred: (l: Record<string, unknown>) => boolean) => lines.filter(pred);
const accessOf = (route: string, status: number) => linesAbout((l) => l.route === route && l.status === status);

describe('the gateway log (pino JSON lines)', () => {
  it('writes an access line per request with the route template and principal, never the credential', async () => {
    await t.api('/health', { token: null });
    await t.api('/sessions/ses_AAAAAAAAAAAA', {});
    await t.api('/auth/me', { token: 'not-a-real-token' });
    await t.api('/no/such/route', {});
    const health = accessOf('/health', 200)[0]!;
    expect(health).toMatchObject({ level: 'info', msg: 'request', method: 'GET', request_id: expect.any(String), duration_ms: expect.any(Number) });
    expect(accessOf('/sessions/{id}', 404)[0]).toMatchObject({ level: 'info', principal: { kind: 'admin', id: 'admin' } });
    expect(accessOf('/auth/me', 401)[0]).toMatchObject({ level: 'warn', msg: 'request refused: bad credentials' });
    expect(accessOf('/no/such/route', 404)).toHaveLength(1);
    expect(raw).not.toContain(ADMIN_TOKEN);
    expect(raw).not.toContain('not-a-real-token');
  });

  it('logs a failed admin login at warn without the password', async () => {
    await t.api('/auth/login', { token: null, method: 'POST', body: { username: 'admin', password: 'wrong-password-xyz' } });
    expect(accessOf('/auth/login', 401)[0]).toMatchObject({ level: 'warn' });
    expect(raw).not.toContain('wrong-password-xyz');
  });

  it('logs session and integration lifecycle with provider and owner', async () => {
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'log-bot', scopes: ['session:create', 'session:read'] } });
    const id = reg.body.integration.id as string;
    const key = reg.body.api_key as string;
    const session = (await t.apiJson('/sessions', { method: 'POST', token: key, body: { args: ['-c', 'echo hi; sleep 30'] } })).body;
    await waitForOutput(t, session.id, 'hi');
    await t.api(`/sessions/${session.id}/stop`, { method: 'POST' });
    await t.api(`/integrations/${id}/rotate-key`, { method: 'POST', body: {} });
    expect(linesAbout((l) => l.msg === 'integration registered' && l.integration_id === id)[0]).toMatchObject({ level: 'info', name: 'log-bot' });
    expect(linesAbout((l) => l.msg === 'session started' && l.session_id === session.id)[0]).toMatchObject({ provider_id: 'shell', owner: id });
    expect(linesAbout((l) => l.msg === 'session stopped' && l.session_id === session.id)[0]).toMatchObject({ owner: id });
    expect(linesAbout((l) => l.msg === 'integration key rotated' && l.integration_id === id)).toHaveLength(1);
    expect(raw).not.toContain(key);
  });

  it('logs a server fault at error with its stack', async () => {
    failNext = true;
    expect((await t.api('/auth/me', {})).status).toBe(500);
    const fault = linesAbout((l) => l.msg === 'request failed')[0]!;
    expect(fault).toMatchObject({ level: 'error', error: { message: 'a bug in a hook', stack: expect.stringContaining('Error: a bug in a hook') } });
  });

  it('redacts secret-named fields at any depth', async () => {
    const own: string[] = [];
    const logger = createLogger('info', (l) => own.push(l));
    logger.info('config', { token: 'abc', nested: { api_key: 'k1', inner: { password: 'p1' } }, fine: 'visible' });
    expect(own.join('')).not.toMatch(/abc|k1|p1/);
    expect(own.join('')).toContain('visible');
  });
});

describe('admin actions in the call log', () => {
  it('records state-changing admin calls and every login attempt as direction "admin"', async () => {
    const reg = await t.apiJson('/integrations', { method: 'POST', body: { name: 'audited' } });
    const id = reg.body.integration.id as string;
    await t.api(`/integrations/${id}`, { method: 'PATCH', body: { max_sessions: 4 } });
    await t.api('/integrations', {}); // a read is not an action
    await t.api('/auth/login', { token: null, method: 'POST', body: { username: 'admin', password: 'nope-nope-nope' } });
    const page = (await t.apiJson('/integrations/_calls?direction=admin&limit=500')).body;
    const entries = page.entries as Array<Record<string, unknown>>;
    expect(entries.find((e) => e.route === '/integrations/{id}' && e.method === 'PATCH')).toMatchObject({ integration_id: id, status_code: 200 });
    expect(entries.find((e) => e.route === '/integrations' && e.method === 'POST')).toMatchObject({ status_code: 201 });
    expect(entries.find((e) => e.route === '/auth/login')).toMatchObject({ status_code: 401, direction: 'admin' });
    expect(entries.some((e) => e.method === 'GET')).toBe(false);
    const byIntegration = (await t.apiJson(`/integrations/_calls?integration_id=${id}&direction=admin`)).body.entries;
    expect(byIntegration.map((e: { method: string }) => e.method)).toContain('PATCH');
  });
});
