import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { openEvents } from '../support/events.js';
import { ADMIN_TOKEN, waitForOutput } from '../support/gateway.js';
import { curl, integration, session, v2Gateway } from './support.js';

/** SPEC §1 (JSON bodies) and §16 rows "scopes" and "names", as a v2 client meets them. */
const gw = v2Gateway();

/** A POST with exactly the headers given: no Content-Type unless `type` says one. */
function rawPost(url: string, path: string, body: string, type?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-length': String(Buffer.byteLength(body)), ...(type ? { 'content-type': type } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('SPEC §1: a JSON body whatever curl -d says it is', () => {
  it('is read as JSON without a Content-Type, as text/plain or as application/x-www-form-urlencoded; 415 only for other types', async () => {
    const t = gw.get();
    const s = await session(t, { provider_id: 'bash' });
    const path = `/sessions/${s.id}/input`;
    expect((await rawPost(t.url, path, '{"data":"echo none-$((1+1))\\n"}')).status).toBe(204);
    expect((await rawPost(t.url, path, '{"data":"echo plain-$((2+2))\\n"}', 'text/plain;charset=UTF-8')).status).toBe(204);
    expect((await rawPost(t.url, path, '{"data":"echo form-$((3+3))\\n"}', 'application/x-www-form-urlencoded')).status).toBe(204);
    // The real curl -d, exactly as the v2 guide writes it.
    const viaCurl = await curl(['-X', 'POST', `${t.url}/api/v1${path}`, '-H', `Authorization: Bearer ${ADMIN_TOKEN}`, '-d', '{"data":"echo curl-$((4+4))\\n"}']);
    expect(viaCurl.status).toBe(204);
    await waitForOutput(t, s.id, /none-2[\s\S]*plain-4[\s\S]*form-6[\s\S]*curl-8/);
    const xml = await rawPost(t.url, path, '<data/>', 'application/xml');
    expect(xml).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    expect((await rawPost(t.url, path, 'data=ls', 'application/x-www-form-urlencoded')).body.code).toBe('invalid_json');
  });
});

describe('SPEC §16 scopes', () => {
  it("scopes: v2's strings are accepted; providers:write/providers:update alias provider:write; memory:* and db:* are stored and grant nothing", async () => {
    const t = gw.get();
    const v2 = ['providers:write', 'providers:update', 'memory:read', 'memory:write', 'db:read', 'db:write', 'db:signed'];
    const reg = await integration(t, { scopes: ['provider:read', ...v2] });
    expect(reg.record.scopes).toEqual(['provider:read', ...v2]);
    expect((await t.apiJson(`/integrations/${reg.id}`)).body.scopes).toEqual(['provider:read', ...v2]);
    // providers:write is provider:write: the config PATCH is allowed.
    const patched = await t.apiJson('/providers/claude/config', { method: 'PATCH', token: reg.key, body: { model: 'opus' } });
    expect(patched.status).toBe(200);
    await t.apiJson('/providers/claude/config', { method: 'PATCH', body: { model: null } });
    const updater = await integration(t, { scopes: ['providers:update'] });
    expect((await t.apiJson('/providers/claude/config', { method: 'PATCH', token: updater.key, body: { model: 'x' } })).status).toBe(200);
    await t.apiJson('/providers/claude/config', { method: 'PATCH', body: { model: null } });
    // memory/db scopes grant nothing here: no session route opens with them.
    const memory = await integration(t, { scopes: ['memory:read', 'memory:write', 'db:read', 'db:write'] });
    const refused = await t.apiJson('/sessions', { token: memory.key });
    expect(refused).toMatchObject({ status: 403, body: { code: 'missing_scope' } });
    // Typos are still a 400 naming the scope.
    expect((await t.apiJson('/integrations', { method: 'POST', body: { name: 'typo-scope', scopes: ['memory:reed'] } })).body.error).toContain('scopes[0]');
    // v2's "scopes" PATCH takes them too.
    expect((await t.apiJson(`/integrations/${memory.id}`, { method: 'PATCH', body: { scopes: ['db:signed'] } })).body.scopes).toEqual(['db:signed']);
  });

  it('scopes: [] at registration means the defaults (v2)', async () => {
    const t = gw.get();
    const reg = await integration(t, { scopes: [] });
    expect(reg.record.scopes).toEqual(['session:read', 'event:subscribe:session.*']);
    expect((await t.apiJson('/sessions', { token: reg.key })).status).toBe(200);
  });
});

describe('SPEC §16 deliberately stricter than v2', () => {
  it('?token= is accepted on WebSocket upgrades only, never on REST routes', async () => {
    const t = gw.get();
    const bot = await integration(t);
    const rest = await fetch(`${t.url}/api/v1/sessions?token=${bot.key}`);
    expect(rest.status).toBe(401);
    const events = await openEvents(t, `topics=session.*&token=${bot.key}`);
    expect((await events.until((f) => f.topic === '_hello')).topic).toBe('_hello');
    events.ws.close();
  });
});

describe('SPEC §16 names', () => {
  it('names: an integration name is any printable text of 1–64 characters; a reserved "_" prefix is 409', async () => {
    const t = gw.get();
    for (const name of ['Slack Bot ✓', 'bøt-🤖', 'Équipe « nuit »', '机器人', 'x'.repeat(64)]) {
      const res = await t.apiJson('/integrations', { method: 'POST', body: { name } });
      expect([name, res.status]).toEqual([name, 201]);
      expect(res.body.integration.name).toBe(name);
    }
    for (const name of ['', ' ', 'tab\there', 'bell\u0007', 'x'.repeat(65), 'rtl\u202eoverride']) {
      const res = await t.apiJson('/integrations', { method: 'POST', body: { name } });
      expect([name, res.status, res.body.error.startsWith('name:')]).toEqual([name, 400, true]);
    }
    for (const prefix of ['_events', '_kinds', '_internal', '_', '_calls']) {
      const res = await t.apiJson('/integrations', { method: 'POST', body: { name: `reserved ${prefix}`, base_url: 'http://127.0.0.1:9', route_prefix: prefix } });
      expect([prefix, res.status, res.body.code]).toEqual([prefix, 409, 'conflict']);
    }
    const dup = await t.apiJson('/integrations', { method: 'POST', body: { name: 'Slack Bot ✓' } });
    expect(dup.status).toBe(409);
  });
});
