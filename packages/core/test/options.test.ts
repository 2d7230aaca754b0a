import { describe, expect, it } from 'vitest';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { startGateway } from './support/gateway.js';

const refuses = (options: unknown, message: RegExp) => expect(createGateway(options as GatewayOptions)).rejects.toThrow(message);

describe('createGateway refuses what the type system cannot stop', () => {
  it('an unknown option, with the likely name', async () => {
    await refuses({ storag: 'memory' }, /^createGateway: unknown option "storag" \(did you mean "storage"\?\)$/);
    await refuses({ frobnicate: 1 }, /^createGateway: unknown option "frobnicate"$/);
  });

  it('a value of the wrong type, naming the option', async () => {
    await refuses({ allowedRoots: '/tmp' }, /^createGateway: option "allowedRoots" must be an array of strings \(got "\/tmp"\)$/);
    await refuses({ port: '8770' }, /option "port" must be a number/);
    await refuses({ providers: {} }, /option "providers" must be an array/);
  });

  it('a SQLite file in a directory that does not exist, naming the path', async () => {
    await refuses({ storage: 'sqlite:///missing/dir/x.sqlite' }, /^createGateway: option "storage": the directory of \/missing\/dir\/x\.sqlite does not exist$/);
  });
});

describe('input keys', () => {
  it('an unknown key name suggests the SPEC name a client probably meant', async () => {
    const t = await startGateway();
    try {
      const s = (await t.apiJson('/sessions', { method: 'POST', body: {} })).body;
      const bad = async (key: string) => (await t.apiJson(`/sessions/${s.id}/input`, { method: 'POST', body: { keys: [key] } })).body.error;
      expect(await bad('Ctrl-C')).toBe('keys[0]: unknown key name (did you mean "C-c"?)');
      expect(await bad('enter')).toBe('keys[0]: unknown key name (did you mean "Enter"?)');
      expect(await bad('Esc')).toBe('keys[0]: unknown key name (did you mean "Escape"?)');
      expect(await bad('Hyper')).toBe('keys[0]: unknown key name');
    } finally {
      await t.close();
    }
  });
});
