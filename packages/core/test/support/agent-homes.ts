import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderDefinition } from '../../src/index.js';
import { AGENT_CLIS, type AgentCli } from './agent-cli-install.js';

/** A fresh HOME (and workspace) seeded so the CLI runs offline against the stand-in (AGENT-CLIS.md). */
export interface AgentHome {
  home: string;
  /** The session's working directory (real path: Claude keys trust by it). */
  cwd: string;
  /** The operator provider that runs the pinned CLI with this HOME and the stand-in's URL. */
  provider: ProviderDefinition;
}

const CLAUDE_KEY = 'sk-ant-stand-in-0123456789abcdefghijklmnop';

export async function seedAgentHome(kind: AgentCli, exe: string, standInUrl: string): Promise<AgentHome> {
  const home = await mkdtemp(join(tmpdir(), `opendray-${kind}-home-`));
  const cwd = await realpath(await mkdtemp(join(tmpdir(), `opendray-${kind}-work-`)));
  const env: Record<string, string> = { HOME: home, LANG: 'C.UTF-8' };
  if (kind === 'claude') {
    Object.assign(env, {
      ANTHROPIC_BASE_URL: standInUrl,
      ANTHROPIC_API_KEY: CLAUDE_KEY,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
      DISABLE_AUTOUPDATER: '1',
    });
    await writeFile(
      join(home, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        lastOnboardingVersion: AGENT_CLIS.claude.version,
        theme: 'dark',
        autoUpdates: false,
        numStartups: 1,
        customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
        projects: { [cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } },
      }),
    );
  } else if (kind === 'codex') {
    env.FAKE_OPENAI_API_KEY = 'sk-stand-in';
    await mkdir(join(home, '.codex'));
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
        `base_url = "${standInUrl}/v1"`,
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
        'notifications = true',
        'notification_method = "osc9"',
        'notification_condition = "always"',
        `[projects."${cwd}"]`,
        'trust_level = "trusted"',
        '',
      ].join('\n'),
    );
  } else {
    Object.assign(env, { GEMINI_API_KEY: 'stand-in', GOOGLE_GEMINI_BASE_URL: standInUrl, GEMINI_CLI_NO_RELAUNCH: 'true' });
    await mkdir(join(home, '.gemini'));
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
  return { home, cwd, provider: { id: kind, command: exe, env } };
}
