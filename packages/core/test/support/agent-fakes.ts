import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderDefinition } from '../../src/index.js';

/**
 * A provider running the fake agent CLI (fixtures/bin/fake-agent), which replays the
 * recorded bytes and hook calls of the real `kind` and calls the hooks the gateway injected.
 */
export function fakeAgentProvider(kind: 'claude' | 'codex' | 'gemini', env: Record<string, string> = {}, id = `fake-${kind}`): ProviderDefinition {
  return {
    id,
    command: fileURLToPath(new URL('../fixtures/bin/fake-agent', import.meta.url)),
    agent: kind,
    env: {
      FAKE_AGENT_KIND: kind,
      FAKE_AGENT_RECORDING: fileURLToPath(new URL(`../fixtures/agent-recordings/${kind}.json`, import.meta.url)),
      FAKE_AGENT_SPEED: '2',
      ...env,
    },
  };
}

/** The hook token a claude-style session was given, read from the settings file passed with --settings. */
export async function hookTokenOf(sessionId: string): Promise<string> {
  for (const root of await readdir(tmpdir())) {
    if (!root.startsWith('opendray-session-files-')) continue;
    try {
      const settings = JSON.parse(await readFile(join(tmpdir(), root, sessionId, 'claude-settings.json'), 'utf8'));
      return String(settings.hooks.Stop[0].hooks[0].headers.Authorization).replace('Bearer ', '');
    } catch {
      // another gateway's directory
    }
  }
  throw new Error(`no hook settings for ${sessionId}`);
}
