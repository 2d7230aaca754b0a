import { lstat, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { injectHooks } from '../src/agents/hook-injection.js';
import { compileRules, loadAgentRules } from '../src/agents/rules.js';
import { dialogText, matchScreen, replyText } from '../src/agents/screen-regions.js';
import { TerminalSignalParser, type TerminalSignal } from '../src/agents/terminal-signals.js';
import { createGateway } from '../src/index.js';

/** The PTY bytes of a recorded real CLI (fixtures/agent-recordings). */
async function recordedBytes(kind: string): Promise<Buffer> {
  const rec = JSON.parse(await readFile(new URL(`./fixtures/agent-recordings/${kind}.json`, import.meta.url), 'utf8'));
  const parts: Buffer[] = [];
  for (const seg of ['start', 'hello', 'tool', 'allow']) for (const item of rec[seg]) if (item.out) parts.push(Buffer.from(item.out, 'base64'));
  return Buffer.concat(parts);
}

describe('the terminal signal parser', () => {
  it('finds the same OSC strings and BELs however a recorded stream is cut (split-safe)', async () => {
    for (const kind of ['claude', 'codex', 'gemini']) {
      const bytes = await recordedBytes(kind);
      const whole = new TerminalSignalParser().push(bytes);
      expect(whole.length, kind).toBeGreaterThan(3);
      // Cut into chunks of every size from 1 to 13 bytes: the signals are identical.
      for (let size = 1; size <= 13; size += 4) {
        const p = new TerminalSignalParser();
        const got: TerminalSignal[] = [];
        for (let i = 0; i < bytes.length; i += size) got.push(...p.push(bytes.subarray(i, i + size)));
        expect(got, `${kind} in ${size}-byte chunks`).toEqual(whole);
      }
    }
  });

  it('reads Codex OSC 7501, OSC 9 with UTF-8 text, ST and BEL terminators, and bare BELs', () => {
    const p = new TerminalSignalParser();
    const text = '\x1b]7501;state=done:app=codex\x07\x1b]9;Tool finished ✓\x1b\\\x07plain\x1b]0;✦  Working…\x07';
    expect(p.push(Buffer.from(text))).toEqual([
      { kind: 'osc', code: 7501, text: 'state=done:app=codex' },
      { kind: 'osc', code: 9, text: 'Tool finished ✓' },
      { kind: 'bel' },
      { kind: 'osc', code: 0, text: '✦  Working…' },
    ]);
  });

  it('ignores BEL inside DCS strings and drops an OSC longer than its bound', () => {
    const p = new TerminalSignalParser();
    expect(p.push(Buffer.from('\x1bP>|xterm\x07still-dcs\x1b\\'))).toEqual([]);
    expect(p.push(Buffer.from(`\x1b]2;${'x'.repeat(10_000)}\x07\x1b]2;short\x07`))).toEqual([{ kind: 'osc', code: 2, text: 'short' }]);
  });
});

describe('screen rules', () => {
  const rules = loadAgentRules();
  it('finds the Claude dialog and its text, and the reply region', () => {
    const lines = [
      '● Bash(touch notes.txt)',
      '────────────────────────────',
      ' Bash command',
      '   touch notes.txt',
      ' Do you want to proceed?',
      ' ❯ 1. Yes',
      '   3. No',
      '',
    ];
    const hit = matchScreen(rules.claude, lines)!;
    expect(hit.rule).toMatchObject({ state: 'blocked', reason: 'permission' });
    const text = dialogText(lines, hit.rule, hit.line);
    expect(text.split('\n')[0]).toBe(' Bash command');
    expect(text).toContain('touch notes.txt');
    expect(replyText(rules.gemini, [' > say hi', '', '✦ Hello there', '  second line', '', '? for shortcuts'])).toBe('Hello there\nsecond line');
  });

  it('rejects a bad operator rules file with a TypeError naming the field', async () => {
    expect(() => compileRules({ version: 1, agent: 'claude', permission: { allow: '\r', deny: '\x1b' }, screen: [{ match: '(', state: 'idle' }] }, 'agentRules.claude')).toThrow(
      /agentRules\.claude\.screen\[0\]\.match/,
    );
    await expect(createGateway({ agentRules: { codex: { version: 2 } as never } })).rejects.toThrow(/agentRules\.codex\.version/);
  });
});

describe('Gemini hook injection into the session HOME', () => {
  const target = (home: string, dir: string) => ({ kind: 'gemini' as const, url: 'http://127.0.0.1:1/api/v1/sessions/s/agent-events', token: 't', dir, node: process.execPath, curl: null, home });
  const launch = { command: 'gemini', args: [], env: {}, submitKey: '\r', files: [] };

  it('merges guarded hooks into a real settings file, keeping what was there, and is idempotent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'od-gemini-'));
    const home = join(root, 'home');
    await mkdir(join(home, '.gemini'), { recursive: true });
    await writeFile(join(home, '.gemini', 'settings.json'), JSON.stringify({ ui: { theme: 'x' } }));
    const spec = await injectHooks(launch, target(home, root));
    await injectHooks(launch, target(home, root));
    const settings = JSON.parse(await readFile(join(home, '.gemini', 'settings.json'), 'utf8'));
    expect(settings.ui).toEqual({ theme: 'x' });
    expect(settings.hooks.BeforeAgent).toHaveLength(1);
    expect(spec.env.AGENT_EVENTS_HOOK).toBe(join(root, 'hook'));
    expect((await readdir(join(home, '.gemini'))).sort()).toEqual(['settings.json']);
  });

  it('writes nothing through a link the session planted in its HOME (a .gemini dir or settings file elsewhere)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'od-gemini-'));
    const elsewhere = join(root, 'gateway-config');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'settings.json'), '{"secret": true}');
    const linkedDir = join(root, 'home-a');
    await mkdir(linkedDir);
    await symlink(elsewhere, join(linkedDir, '.gemini'));
    await injectHooks(launch, target(linkedDir, root));
    const linkedFile = join(root, 'home-b');
    await mkdir(join(linkedFile, '.gemini'), { recursive: true });
    await symlink(join(elsewhere, 'settings.json'), join(linkedFile, '.gemini', 'settings.json'));
    await injectHooks(launch, target(linkedFile, root));
    expect(await readFile(join(elsewhere, 'settings.json'), 'utf8')).toBe('{"secret": true}');
    expect(await readdir(elsewhere)).toEqual(['settings.json']);
    expect((await lstat(join(linkedFile, '.gemini', 'settings.json'))).isSymbolicLink()).toBe(true);
  });
});

describe('the Claude reply region', () => {
  it('ends before the footer hint when the prompt box is not painted yet', () => {
    const rules = loadAgentRules().claude;
    const lines = ['❯ say hello', '', '● Stand-in reply 1: say hello to me', '', '  ? for shortcuts · ← for agents'];
    expect(replyText(rules, lines)).toBe('Stand-in reply 1: say hello to me');
  });
});

describe('the Gemini reply region', () => {
  it('ends before the indented footer hint painted under the reply', () => {
    const rules = loadAgentRules().gemini;
    const lines = [' > say hello', '', '✦ Stand-in reply 1: say hello', '', '', `${' '.repeat(103)}? for shortcuts`];
    expect(replyText(rules, lines)).toBe('Stand-in reply 1: say hello');
  });
});
