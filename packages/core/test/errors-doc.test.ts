import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, STATUS_BY_CODE } from '../src/index.js';
import { CloseCode } from '../src/ws/close-codes.js';

const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every error code with the status the gateway answers', () => {
    const rows = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(rows.get(code), code).toBe(STATUS_BY_CODE[code]);
  });

  it('lists every close code', () => {
    for (const code of Object.values(CloseCode)) expect(doc).toContain(`| ${code} |`);
  });
});
