import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Bundles an entry as a browser app would; resolves with the output or the build errors. */
async function bundleForBrowser(entry: string): Promise<{ code: string; errors: string[] }> {
  try {
    const result = await build({
      entryPoints: [join(SRC, entry)],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    return { code: result.outputFiles[0]!.text, errors: [] };
  } catch (err) {
    return { code: '', errors: ((err as { errors?: { text: string }[] }).errors ?? []).map((e) => e.text) };
  }
}

describe('browser bundle', () => {
  it('the main entry bundles for the browser with no Node built-in and without the ws package', async () => {
    const { code, errors } = await bundleForBrowser('index.ts');
    expect(errors).toEqual([]);
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
    // the `browser` field maps `ws` to an empty module: none of its code is in the bundle
    expect(code).not.toMatch(/node_modules\/ws\/(lib|index|wrapper)/);
    expect(code).toMatch(/OpendrayClient = class/);
  });

  it('the node entry does not (the check has teeth)', async () => {
    const { errors } = await bundleForBrowser('node.ts');
    expect(errors.join('\n')).toMatch(/node:fs|node:crypto|node:path/);
  });
});
