import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentKind } from '@opendray/sdk/wire';
import type { LaunchSpec } from '../sessions/providers/launch.js';

/** What injecting hooks into one launch needs (SPEC §17). */
export interface HookTarget {
  kind: AgentKind;
  /** `http://127.0.0.1:PORT/api/v1/sessions/<id>/agent-events` */
  url: string;
  token: string;
  /** The session's own directory (SessionFiles). */
  dir: string;
  /** The node binary that runs the hook script when curl is absent. */
  node: string;
  /** curl's path, or null to use node. */
  curl: string | null;
  /** The HOME the session runs with (Gemini reads hooks only from its settings there). */
  home: string | undefined;
}

const CLAUDE_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'Notification', 'PostToolUse', 'PostToolUseFailure', 'Stop', 'StopFailure', 'SessionEnd'];
const CODEX_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'Stop'];
// No AfterAgent: Gemini runs hooks synchronously and paints its answer only after them, and
// that hook's text is garbled in 0.61; its `◇  Ready` title ends the turn instead (measured).
const GEMINI_EVENTS = ['SessionStart', 'BeforeAgent', 'BeforeTool', 'Notification', 'AfterTool', 'SessionEnd'];
/** Gemini's hook entries run this only inside gateway sessions (the variable names the script). */
export const GEMINI_HOOK_ENV = 'AGENT_EVENTS_HOOK';

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Adds the agent's hooks to a launch. Everything the session reads lives in `dir` or on the
 * command line, and the hooks call the gateway's loopback port, so they work inside the
 * session sandbox (network on, data dir hidden):
 * - claude: `--settings <dir>/claude-settings.json` with `http` hooks (no process per hook);
 * - codex: `-c hooks.<Event>=…` and `-c notify=…` running `<dir>/hook`, plus `--no-daemon`
 *   and `--dangerously-bypass-hook-trust` (AGENT-CLIS.md);
 * - gemini: hooks read only from settings files, so `$HOME/.gemini/settings.json` gets
 *   entries that run `$AGENT_EVENTS_HOOK` when it is set (a no-op outside the gateway), and
 *   the session's env names `<dir>/hook`.
 */
export async function injectHooks(launch: LaunchSpec, t: HookTarget): Promise<LaunchSpec> {
  if (t.kind === 'claude') {
    const hooks: Record<string, unknown> = {};
    for (const e of CLAUDE_EVENTS) {
      hooks[e] = [{ matcher: '*', hooks: [{ type: 'http', url: `${t.url}?event=${e}`, headers: { Authorization: `Bearer ${t.token}` } }] }];
    }
    const file = join(t.dir, 'claude-settings.json');
    await writePrivate(file, JSON.stringify({ hooks }));
    return { ...launch, args: ['--settings', file, ...launch.args], filesDir: t.dir };
  }
  const script = await writeHookScript(t);
  if (t.kind === 'codex') {
    // codex refuses a flag given twice: the operator's own args may already carry these.
    const flags = ['--no-daemon', '--dangerously-bypass-hook-trust'].filter((f) => !launch.args.includes(f));
    for (const e of CODEX_EVENTS) {
      flags.push('-c', `hooks.${e}=[{matcher="*",hooks=[{type="command",command=${JSON.stringify(`${sh(script)} ${e}`)}}]}]`);
    }
    flags.push('-c', `notify=[${JSON.stringify(script)},"notify"]`);
    // Options go after a `resume <id>` sub-command, which takes the same flags.
    const at = launch.args[0] === 'resume' ? 2 : 0;
    const args = [...launch.args.slice(0, at), ...flags, ...launch.args.slice(at)];
    return { ...launch, args, filesDir: t.dir };
  }
  if (t.home) await addGeminiHooks(t.home);
  return { ...launch, env: { ...launch.env, [GEMINI_HOOK_ENV]: script }, filesDir: t.dir };
}

/** `<dir>/hook <Event>`: posts the hook's JSON (stdin, or codex notify's last argument). */
async function writeHookScript(t: HookTarget): Promise<string> {
  const target = `${t.url}?event=`;
  let send: string;
  if (t.curl) {
    await writePrivate(join(t.dir, 'auth-header'), `Authorization: Bearer ${t.token}\n`);
    send = `${sh(t.curl)} -s -m 3 -o /dev/null -X POST -H @${sh(join(t.dir, 'auth-header'))} -H 'content-type: application/json' --data-binary @- ${sh(target)}"$event"`;
  } else {
    const js = [
      `const chunks = []; for await (const c of process.stdin) chunks.push(c);`,
      `await fetch(${JSON.stringify(target)} + encodeURIComponent(process.argv[2] ?? ''), { method: 'POST', headers: { authorization: ${JSON.stringify(`Bearer ${t.token}`)}, 'content-type': 'application/json' }, body: Buffer.concat(chunks), signal: AbortSignal.timeout(3000) }).catch(() => {});`,
    ].join('\n');
    await writePrivate(join(t.dir, 'hook.mjs'), js);
    send = `${sh(t.node)} ${sh(join(t.dir, 'hook.mjs'))} "$event"`;
  }
  const file = join(t.dir, 'hook');
  const body = [
    '#!/bin/sh',
    '# opendray agent hook (SPEC §17): posts this hook call to the gateway; never fails the agent.',
    'event="$1"',
    'if [ "$event" = notify ]; then for last; do :; done; printf %s "$last" | ' + send + '; else ' + send + '; fi',
    'exit 0',
    '',
  ].join('\n');
  await writePrivate(file, body);
  await chmod(file, 0o700);
  return file;
}

/**
 * Merges the gateway's guarded hook entries into `<home>/.gemini/settings.json`
 * (idempotent). The HOME is the session's own and writable from inside it (SPEC §15), and
 * its other sessions run while the gateway writes, so a link planted there — also one
 * swapped in for `.gemini` between two of the gateway's steps — must not steer the write
 * elsewhere (the operator's `~/.claude/settings.json` has the same name and runs hooks too).
 * So `.gemini` is opened once, without following a link, and every later step goes through
 * that descriptor (`/proc/self/fd/N/…` on Linux: Node has no `openat`); the file is read
 * without following a link and must be a regular one (else no hooks: the agent still runs,
 * its state read from the screen); the new content goes to a fresh name (`wx`), renamed over it.
 */
async function addGeminiHooks(home: string): Promise<void> {
  const path = join(home, '.gemini');
  await mkdir(path, { mode: 0o700 }).catch(() => undefined);
  const dirHandle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => null);
  if (!dirHandle) return;
  try {
    // Elsewhere there is no session sandbox to escape from (docs/security.md): the path will do.
    const dir = process.platform === 'linux' ? `/proc/self/fd/${dirHandle.fd}` : path;
    await mergeGeminiSettings(dir);
  } catch {
    // A tenant's hostile HOME costs it its hooks, never the start of its session.
  } finally {
    await dirHandle.close();
  }
}

async function mergeGeminiSettings(dir: string): Promise<void> {
  const file = join(dir, 'settings.json');
  let settings: Record<string, unknown> = {};
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      if (!(await handle.stat()).isFile()) return;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) settings = parsed as Record<string, unknown>;
    else return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
  }
  const hooks = (settings.hooks && typeof settings.hooks === 'object' ? settings.hooks : {}) as Record<string, unknown>;
  let changed = false;
  for (const e of GEMINI_EVENTS) {
    const command = `[ -n "$${GEMINI_HOOK_ENV}" ] && exec "$${GEMINI_HOOK_ENV}" ${e}; exit 0`;
    const list = Array.isArray(hooks[e]) ? (hooks[e] as unknown[]) : [];
    if (JSON.stringify(list).includes(`$${GEMINI_HOOK_ENV}`)) continue;
    hooks[e] = [...list, { matcher: '*', hooks: [{ type: 'command', command }] }];
    changed = true;
  }
  if (!changed) return;
  const tmp = join(dir, `.settings.json.opendray-${randomUUID()}`);
  await writeFile(tmp, JSON.stringify({ ...settings, hooks }, null, 2), { flag: 'wx', mode: 0o600 });
  await rename(tmp, file).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
}

async function writePrivate(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
}
