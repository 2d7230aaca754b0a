import * as W from '@opendray/sdk/wire';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/validation/ajv.js';

/** The 400 message a value gets against a schema, or 'ok'. */
function message(schema: W.TSchema, value: unknown): string {
  try {
    compile(schema, 'test').check(value);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('one 400 message format: field: reason', () => {
  it.each<[string, W.TSchema, unknown, string]>([
    ['a missing field', W.RegisterIntegrationRequest, {}, 'name: required'],
    ['a body that is no object', W.RegisterIntegrationRequest, null, 'body: must be a JSON object'],
    ['a length', W.RegisterIntegrationRequest, { name: '' }, 'name: must be 1–64 characters'],
    ['a union member', W.RegisterIntegrationRequest, { name: 'a', scopes: ['session:reed'] }, 'scopes[0]: unknown scope'],
    ['an item type', W.RegisterIntegrationRequest, { name: 'a', scopes: ['session:read', 1] }, 'scopes[1]: must be a string'],
    ['an integer range', W.RegisterIntegrationRequest, { name: 'a', max_sessions: 1.5 }, 'max_sessions: must be an integer from 0 to 1000'],
    ['a format', W.RegisterIntegrationRequest, { name: 'a', base_url: 'ftp://x' }, 'base_url: must be an http or https URL with a host, in printable ASCII, without credentials, query or fragment'],
    ['no input form', W.InputRequest, {}, 'body: exactly one of data, text, keys is required'],
    ['two input forms', W.InputRequest, { data: 'a', text: 'b' }, 'body: exactly one of data, text, keys is required'],
    ['the branch the value chose', W.InputRequest, { keys: ['Enter', 'Hyper-x'] }, 'keys[1]: unknown key name'],
    ['a wrong type in the chosen branch', W.InputRequest, { data: 5 }, 'data: must be a string'],
    ['a lone surrogate', W.InputRequest, { data: 'abc\ud800' }, 'data: must be valid UTF-8 (contains a lone surrogate)'],
    ['a nested map value', W.CreateSessionRequest, { env: { FOO: 1 } }, 'env.FOO: must be a string'],
    ['a map key', W.CreateSessionRequest, { env: { 'BAD NAME': 'x' } }, 'env: invalid variable name "BAD NAME"'],
    ['an enum of literals', W.ScreenQuery, { format: 'svg' }, 'format: must be one of json, ansi'],
    ['a real day', W.CallQuery, { since: '2026-02-30T00:00:00Z' }, 'since: must be an RFC 3339 timestamp, e.g. 2026-04-27T14:01:00.123Z'],
    ['a non-negative integer', W.SinceQuery, { since: -1 }, 'since: must be a non-negative integer'],
  ])('%s', (_label, schema, value, expected) => {
    expect(message(schema, value)).toBe(expected);
  });

  it('accepts what it always accepted: unknown fields, null as absent, astral characters', () => {
    expect(message(W.RegisterIntegrationRequest, { name: 'bot', colour: 'red' })).toBe('ok');
    expect(message(W.CreateSessionRequest, { provider_id: null, name: null, cwd: null, model: null })).toBe('ok');
    expect(message(W.InputRequest, { data: 'ok 😀' })).toBe('ok');
  });

  it('never echoes a refused value (a token that fails its pattern stays out of the message)', () => {
    const token = W.T.Object({ token: W.T.String({ pattern: '^\\d+:[A-Za-z]+$' }) });
    expect(message(token, { token: 'secret-value-123' })).toBe('token: has an invalid format');
  });
});
