import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['sdk', 'core', 'console', 'cli'] as const;
const BUILTINS = new Set(builtinModules);

async function* jsFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for relative and built-in ones. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe('packaging', () => {
  it('every package imported at run time is a declared dependency of the package that imports it', async () => {
    for (const name of PACKAGES) {
      const dir = join(REPO, 'packages', name);
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      // A peer (vitest, for the exported store contract suite) is the embedder's to install.
      const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
      const roots = [join(dir, 'dist'), ...(name === 'cli' ? [join(dir, 'bin')] : [])];
      const missing = new Set<string>();
      for (const root of roots) {
        for await (const file of jsFiles(root)) {
          const text = await readFile(file, 'utf8');
          for (const m of text.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
            const pkg = packageOf(m[1] ?? m[2]!);
            if (pkg && pkg !== manifest.name && !declared.has(pkg)) missing.add(`${pkg} (in ${file.slice(dir.length + 1)})`);
          }
        }
      }
      expect([...missing], `${manifest.name} imports undeclared packages`).toEqual([]);
    }
  });

  it(
    'npm pack of sdk, core, console and cli installs into a fresh project (no workspace links) that runs the gateway with its console, the CLI and the SDK',
    async () => {
      const work = await mkdtemp(join(tmpdir(), 'opendray-pack-'));
      try {
        const tarballs: string[] = [];
        for (const name of PACKAGES) {
          const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(REPO, 'packages', name) });
          tarballs.push(join(work, stdout.trim().split('\n').pop()!));
        }
        const app = join(work, 'app');
        await run('mkdir', ['-p', app]);
        await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
        await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: app, timeout: 600_000 });

        await writeFile(
          join(app, 'check.mjs'),
          `import { createGateway } from '@opendray/core';
import { createConsoleHandler } from '@opendray/console';
import { OpendrayClient } from '@opendray/sdk';
const gateway = await createGateway({ auth: { adminToken: 'pack-check-token-0123456789' }, bcryptCost: 4, fallback: createConsoleHandler() });
const { url } = await gateway.listen(0, '127.0.0.1');
const client = new OpendrayClient({ baseUrl: url, token: 'pack-check-token-0123456789' });
const me = await client.me();
const providers = await client.listProviders();
const page = await (await fetch(url + '/')).text();
const script = /src="(\\/assets\\/app-[^"]+\\.js)"/.exec(page);
const asset = script ? (await fetch(url + script[1])).status : 0;
await gateway.close();
console.log(JSON.stringify({ kind: me.kind, shell: providers.some((p) => p.id === 'shell'), console: asset }));
`,
        );
        const check = await run(process.execPath, ['check.mjs'], { cwd: app, timeout: 60_000 });
        // The console's built page ships in its package: the page and its bundle are served.
        expect(JSON.parse(check.stdout)).toEqual({ kind: 'admin', shell: true, console: 200 });
        const version = await run(join(app, 'node_modules', '.bin', 'opendray'), ['--version'], { cwd: app });
        const cliVersion = JSON.parse(await readFile(join(REPO, 'packages', 'cli', 'package.json'), 'utf8')).version as string;
        expect(version.stdout.trim()).toBe(cliVersion);
        // Nothing came from the workspace: the installed packages are real copies.
        const { stdout: ls } = await run('ls', ['-l', join(app, 'node_modules', '@opendray')]);
        expect(ls).not.toMatch(/->/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    900_000,
  );
});
