import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds `commit` of this repository in a temp dir (cached by commit), so a benchmark can run
 * the code as it was next to the code as it is, in the same run. The tree comes from
 * `git archive`; its node_modules links every installed package of this checkout except the
 * workspace's own, which point at the old tree's packages. Returns the old tree's root, or
 * null when git or the commit is not available (a tarball checkout).
 */
export async function buildOldCommit(commit, log = () => {}) {
  try {
    execFileSync('git', ['-C', REPO, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const dir = join(tmpdir(), `opendray-bench-${commit}`);
  const marker = join(dir, 'packages/core/dist/index.js');
  if (existsSync(marker)) return dir;
  log(`building ${commit} in ${dir}…`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${REPO}" archive ${commit} | tar -x -C "${dir}"`]);
  const modules = join(dir, 'node_modules');
  await mkdir(join(modules, '@opendray'), { recursive: true });
  for (const name of await readdir(join(REPO, 'node_modules'))) {
    if (name === '@opendray' || name === '.bin' || name.startsWith('.')) continue;
    await symlink(join(REPO, 'node_modules', name), join(modules, name));
  }
  for (const pkg of ['core', 'sdk', 'cli']) await symlink(join(dir, 'packages', pkg), join(modules, '@opendray', pkg));
  execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-b', join(dir, 'packages/core')], { stdio: 'inherit' });
  return dir;
}
