import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderDefinition } from '../../src/index.js';
import { AGENT_CLIS, type AgentCli } from './agent-clis.js';

/** Any key will do for the stand-in; Claude approves a key by its last 20 characters. */
const CLAUDE_KEY = 'sk-ant-stand-in-0123456789abcdefghijklmnop';

/**
 * What a CLI needs to start offline against the model stand-in at `baseUrl`
 * (AGENT-CLIS.md); goes in the provider's env. HOME is not in it: an integration's
 * session gets its own from the gateway (SPEC §15).
 */
export function agentEnv(name: AgentCli, baseUrl: string): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8' };
  switch (name) {
    case 'claude':
      return {
        ...env,
        ANTHROPIC_BASE_URL: baseUrl,
        ANTHROPIC_API_KEY: CLAUDE_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
        DISABLE_AUTOUPDATER: '1',
      };
    case 'codex':
      return { ...env, FAKE_OPENAI_API_KEY: 'sk-stand-in' };
    case 'gemini':
      return { ...env, GEMINI_API_KEY: 'stand-in', GOOGLE_GEMINI_BASE_URL: baseUrl, GEMINI_CLI_NO_RELAUNCH: 'true' };
  }
}

/**
 * Arguments the provider adds for a test run: codex without its background daemon (it
 * would copy ~385 MB into HOME and outlive the TUI). The gateway's codex hooks add the
 * same flag and skip it when the provider's args already have it.
 */
export const AGENT_ARGS: Record<AgentCli, string[]> = { claude: [], codex: ['--no-daemon'], gemini: [] };

/**
 * Pre-seeds `home` so the CLI skips onboarding, login, trust and update prompts, talks
 * only to `baseUrl`, and sends the terminal notifications the agent detector reads
 * (AGENT-CLIS.md). `cwd` is the real path the session runs in (trust is keyed by it).
 */
export async function seedAgentHome(name: AgentCli, home: string, opts: { cwd: string; baseUrl: string }): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  if (name === 'claude') {
    await writeFile(
      join(home, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        lastOnboardingVersion: AGENT_CLIS.claude.version,
        theme: 'dark',
        autoUpdates: false,
        numStartups: 1,
        customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
        projects: { [opts.cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
      }),
    );
  } else if (name === 'codex') {
    await mkdir(join(home, '.codex'), { recursive: true });
    await writeFile(join(home, '.codex', 'config.toml'), codexConfig(opts));
  } else {
    await mkdir(join(home, '.gemini'), { recursive: true });
    await writeFile(
      join(home, '.gemini', 'settings.json'),
      JSON.stringify({
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, enableNotifications: true, notificationMethod: 'osc9' },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
        ide: { enabled: false, hasSeenNudge: true },
      }),
    );
  }
}

function codexConfig(opts: { cwd: string; baseUrl: string }): string {
  return [
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
    // OSC 9 with the final text at turn end: one of the signals the detector reads.
    'notifications = true',
    'notification_method = "osc9"',
    'notification_condition = "always"',
    `[projects."${opts.cwd}"]`,
    'trust_level = "trusted"',
    '',
  ].join('\n');
}

/** A fresh HOME and workspace for an operator session of the pinned CLI. */
export interface AgentHome {
  home: string;
  /** The session's working directory (real path: Claude keys trust by it). */
  cwd: string;
  /** The operator provider that runs the pinned CLI with this HOME and the stand-in's URL. */
  provider: ProviderDefinition;
}

/**
 * A temp HOME and workspace seeded for `kind`, and the provider that runs `exe` there
 * (an operator's session has no HOME of its own, so the provider's env names it).
 */
export async function createAgentHome(kind: AgentCli, exe: string, baseUrl: string): Promise<AgentHome> {
  const home = await mkdtemp(join(tmpdir(), `opendray-${kind}-home-`));
  const cwd = await realpath(await mkdtemp(join(tmpdir(), `opendray-${kind}-work-`)));
  await seedAgentHome(kind, home, { cwd, baseUrl });
  return { home, cwd, provider: { id: kind, command: exe, args: AGENT_ARGS[kind], env: { ...agentEnv(kind, baseUrl), HOME: home } } };
}
