import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The real agent CLIs, pinned (AGENT-CLIS.md: their screens change between versions),
 * installed from the npm registry into a cache directory outside the project's
 * dependencies, once per version. Reused by every test that drives a real CLI.
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
 * The cache: `$OPENDRAY_AGENT_CLI_CACHE`, else `~/.cache/opendray-test/agent-clis`. Not
 * under /tmp: a sandboxed session has a private /tmp and would not see the CLI there.
 */
export function agentCliCache(): string {
  return process.env.OPENDRAY_AGENT_CLI_CACHE || join(homedir(), '.cache', 'opendray-test', 'agent-clis');
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

/** What a CLI needs to start offline against `baseUrl` (AGENT-CLIS.md); goes in the provider's env. */
export function agentEnv(name: AgentCli, baseUrl: string): Record<string, string> {
  switch (name) {
    case 'claude':
      return {
        ANTHROPIC_BASE_URL: baseUrl,
        ANTHROPIC_AUTH_TOKEN: 'test-token-for-the-stand-in',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
        DISABLE_AUTOUPDATER: '1',
      };
    case 'codex':
      return { FAKE_OPENAI_API_KEY: 'test-key-for-the-stand-in' };
    case 'gemini':
      return { GEMINI_API_KEY: 'test-key-for-the-stand-in', GOOGLE_GEMINI_BASE_URL: baseUrl, GEMINI_CLI_NO_RELAUNCH: 'true' };
  }
}

/** Arguments the gateway's provider adds for a test run (codex: no background daemon). */
export const AGENT_ARGS: Record<AgentCli, string[]> = { claude: [], codex: ['--no-daemon'], gemini: [] };

/**
 * Pre-seeds a fresh HOME so the CLI skips onboarding, login, trust and update prompts
 * and talks only to `baseUrl` (AGENT-CLIS.md). `cwd` is the real path the session runs in.
 */
export async function seedAgentHome(name: AgentCli, home: string, opts: { cwd: string; baseUrl: string }): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  if (name === 'claude') {
    const key = agentEnv('claude', opts.baseUrl).ANTHROPIC_AUTH_TOKEN!;
    await writeFile(
      join(home, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        lastOnboardingVersion: AGENT_CLIS.claude.version,
        theme: 'dark',
        autoUpdates: false,
        numStartups: 1,
        customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
        projects: { [opts.cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
      }),
    );
  } else if (name === 'codex') {
    await mkdir(join(home, '.codex'), { recursive: true });
    await writeFile(
      join(home, '.codex', 'config.toml'),
      [
        'model = "fake-model"',
        'model_provider = "fake"',
        'approval_policy = "on-request"',
        'sandbox_mode = "workspace-write"',
        'check_for_update_on_startup = false',
        '[model_providers.fake]',
        'name = "fake"',
        `base_url = "${opts.baseUrl}/v1"`,
        'env_key = "FAKE_OPENAI_API_KEY"',
        'wire_api = "responses"',
        'request_max_retries = 0',
        'stream_max_retries = 0',
        '[analytics]',
        'enabled = false',
        '[features]',
        'plugins = false',
        'remote_plugin = false',
        'apps = false',
        'daemon_auto_start = false',
        '[tui]',
        'show_tooltips = false',
        `[projects."${opts.cwd}"]`,
        'trust_level = "trusted"',
        '',
      ].join('\n'),
    );
  } else {
    await mkdir(join(home, '.gemini'), { recursive: true });
    await writeFile(
      join(home, '.gemini', 'settings.json'),
      JSON.stringify({
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
        ide: { enabled: false, hasSeenNudge: true },
      }),
    );
  }
}

/**
 * The smallest stand-in of the three model APIs that lets the CLIs reach their first
 * screen: 200 to `HEAD /` and model listings, 404 JSON to the rest. The engineer who builds
 * full turns replaces it with one that streams answers.
 */
export async function startModelStandIn(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.method === 'HEAD' || (req.method === 'GET' && req.url === '/')) return res.writeHead(200).end();
    if (req.method === 'GET' && /\/models(\?|$)/.test(req.url ?? '')) {
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ models: [], data: [], object: 'list' }));
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not in the stand-in' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
