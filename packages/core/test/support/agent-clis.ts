import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The real agent CLIs, pinned (AGENT-CLIS.md: their screens and hooks change between
 * versions), installed from the npm registry into a cache directory outside the project's
 * dependencies, once per version. Every test and benchmark that drives a real CLI (the
 * sandbox test in `npm test`, the end-to-end tests of `npm run test:agents`, the agents
 * benchmark) installs through here, so CI downloads each CLI once.
 */
export const AGENT_CLIS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
} as const;
export type AgentCli = keyof typeof AGENT_CLIS;

/** How long an install may take (a cold cache downloads each CLI's native binaries). */
export const INSTALL_TIMEOUT_MS = 600_000;

/**
 * The cache: `$OPENDRAY_AGENT_CLI_CACHE`, else `~/.cache/opendray/agent-clis`. Not under
 * /tmp: a sandboxed session has a private /tmp and would not see the CLI there (the
 * sandbox re-exposes a program's install root read-only under the hidden operator HOME).
 */
export function agentCliCache(): string {
  return process.env.OPENDRAY_AGENT_CLI_CACHE || join(homedir(), '.cache', 'opendray', 'agent-clis');
}

const installs = new Map<AgentCli, Promise<string>>();

/**
 * Installs `name` at its pinned version unless the cache has it; resolves with the real
 * path of its executable. Concurrent callers (also in other test workers) are safe: each
 * install goes to a fresh directory that is renamed into place when it is complete.
 */
export function installAgentCli(name: AgentCli): Promise<string> {
  let pending = installs.get(name);
  if (!pending) {
    pending = install(name);
    pending.catch(() => installs.delete(name));
    installs.set(name, pending);
  }
  return pending;
}

async function install(name: AgentCli): Promise<string> {
  const { pkg, version, bin } = AGENT_CLIS[name];
  const cache = agentCliCache();
  const dir = join(cache, `${pkg.replace('/', '+')}@${version}`);
  const binPath = join(dir, 'node_modules', '.bin', bin);
  if (existsSync(join(dir, '.complete'))) return realpath(binPath);
  await mkdir(cache, { recursive: true });
  const staging = await mkdtemp(join(cache, '.staging-'));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        'npm',
        ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${version}`],
        { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (err, _out, stderr) => (err ? reject(new Error(`npm install ${pkg}@${version} failed: ${stderr || err.message}`)) : resolve()),
      );
    });
    await writeFile(join(staging, '.complete'), `${pkg}@${version}\n`);
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another worker finished first: keep its copy.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return realpath(binPath);
}
