import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayOptions } from '../../src/index.js';
import { FIXTURE_BIN } from '../fixtures/sessions.js';
import { registerIntegration, startGateway, waitFor, type TestGateway } from '../support/gateway.js';

/**
 * The attack suite's harness (SPEC §15). Each attack runs from inside a real session, as
 * an integration, once with the sandbox on (`bwrap`) and once `off`, to show what the
 * operator gives up; the expected outcome of each mode is written next to the attack.
 */
export const MODES = ['bwrap', 'off'] as const;
export type Mode = (typeof MODES)[number];

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Every directory of a box lives under the repository's `node_modules/.cache`, not under
 * `/tmp`: the sandbox gives each session a private `/tmp`, which would hide a host path
 * there whatever the rest of the sandbox did, so an attack on it would prove nothing.
 */
export const BASE = join(REPO, 'node_modules', '.cache', 'opendray-isolation');

export const BOX_PROVIDERS = [
  { id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: [], submit_key: '\n', config_schema: {} },
  { id: 'bash', display_name: 'bash', kind: 'shell', command: '/bin/bash', args: ['--norc', '--noprofile', '-i'], submit_key: '\n', config_schema: {} },
  // The built-in agents with their launch policy, run by stand-ins that print their argv.
  { id: 'claude', command: join(FIXTURE_BIN, 'claude') },
  { id: 'codex', command: join(FIXTURE_BIN, 'codex') },
  { id: 'gemini', command: join(FIXTURE_BIN, 'gemini') },
] as unknown as NonNullable<GatewayOptions['providers']>;

export interface Box {
  mode: Mode;
  t: TestGateway;
  /** Holds everything below; removed at close. */
  base: string;
  dataDir: string;
  /** The workspace root; sessions run in `workspace/<name>` by default. */
  workspace: string;
  /** A directory beside the workspace: visible, never writable from a sandboxed session. */
  outside: string;
  /** Registers an integration (default scopes: create, read and drive sessions). */
  integration(name: string, scopes?: string[]): Promise<{ id: string; key: string }>;
  /** A fresh directory under the workspace. */
  workdir(name: string): Promise<string>;
  /** Runs `script` in `sh -c` as `token`'s session; resolves with what it printed once it ended. */
  run(token: string, script: string, body?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Options of the box's gateway; a function gets the box's directories (e.g. to name a root inside it). */
export type BoxOptions = GatewayOptions | ((dirs: { workspace: string; outside: string; dataDir: string }) => GatewayOptions);

export async function startBox(mode: Mode, boxOptions: BoxOptions = {}): Promise<Box> {
  await mkdir(BASE, { recursive: true });
  const base = await mkdtemp(join(BASE, `${mode}-`));
  const dataDir = join(base, 'data');
  const workspace = join(base, 'workspace');
  const outside = join(base, 'outside');
  await Promise.all([mkdir(workspace), mkdir(outside), mkdir(dataDir, { mode: 0o700 })]);
  const options = typeof boxOptions === 'function' ? boxOptions({ workspace, outside, dataDir }) : boxOptions;
  const t = await startGateway({
    sandbox: mode,
    storage: `sqlite://${join(dataDir, 'opendray.sqlite')}`,
    dataDir,
    workspaceRoot: workspace,
    providers: BOX_PROVIDERS,
    idleThresholdMs: 600_000,
    stopGraceMs: 1_000,
    ...options,
  }).catch(async (err: unknown) => {
    await rm(base, { recursive: true, force: true });
    throw err;
  });
  let dirs = 0;
  const box: Box = {
    mode,
    t,
    base,
    dataDir,
    workspace,
    outside,
    async integration(name, scopes = ['session:create', 'session:read', 'session:input']) {
      const { integration, api_key } = await registerIntegration(t, { name, scopes });
      return { id: integration.id as string, key: api_key };
    },
    async workdir(name) {
      const dir = join(workspace, `${name}-${++dirs}`);
      await mkdir(dir, { recursive: true });
      return dir;
    },
    async run(token, script, body = {}) {
      const cwd = body.cwd ?? (await box.workdir('run'));
      const created = await t.apiJson('/sessions', { method: 'POST', token, body: { provider_id: 'sh', args: ['-c', script], cwd, ...body } });
      if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      await waitFor(async () => (await t.apiJson(`/sessions/${id}`, { token })).body.state === 'ended', 20_000);
      const res = await t.api(`/sessions/${id}/buffer`, { token });
      return (await res.text()).replace(/\r\n/g, '\n');
    },
    async close() {
      await t.close();
      await rm(base, { recursive: true, force: true });
    },
  };
  return box;
}

/** The line of `output` after `label=`, e.g. `line(out, 'HOME')` for a printed `HOME=/x`. */
export function field(output: string, label: string): string | undefined {
  return new RegExp(`^${label}=(.*)$`, 'm').exec(output)?.[1];
}
