import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The agent CLIs the end-to-end tests drive, pinned (their screens and hooks change between versions). */
export const AGENT_CLIS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.171.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
} as const;

export type AgentCli = keyof typeof AGENT_CLIS;

/** `$OPENDRAY_AGENT_CLI_CACHE`, else `~/.cache/opendray/agent-clis`: never the project's node_modules. */
export function agentCliCache(): string {
  return process.env.OPENDRAY_AGENT_CLI_CACHE ?? join(homedir(), '.cache', 'opendray', 'agent-clis');
}

/**
 * Installs one pinned CLI from the npm registry into its own prefix under the cache (once;
 * later calls find it), and returns the path of its executable. Checks `--version`.
 */
export async function installAgentCli(kind: AgentCli): Promise<string> {
  const { pkg, version, bin } = AGENT_CLIS[kind];
  const prefix = join(agentCliCache(), `${kind}-${version}`);
  const exe = join(prefix, 'node_modules', '.bin', bin);
  if (!existsSync(exe) || !(await versionMatches(exe, version))) {
    await rm(prefix, { recursive: true, force: true });
    await mkdir(prefix, { recursive: true });
    await writeFile(join(prefix, 'package.json'), '{"private":true}\n');
    await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${version}`], { timeout: 600_000, maxBuffer: 16 << 20 });
    if (!(await versionMatches(exe, version))) throw new Error(`${pkg}@${version}: ${exe} does not report version ${version}`);
  }
  return exe;
}

async function versionMatches(exe: string, version: string): Promise<boolean> {
  try {
    const { stdout } = await run(exe, ['--version'], { timeout: 30_000 });
    return stdout.includes(version);
  } catch {
    return false;
  }
}
