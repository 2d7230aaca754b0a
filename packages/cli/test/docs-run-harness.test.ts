import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from './support/cli.js';
import { DocShell, runnableBlocks, type Block } from './support/doc-blocks.js';

/** The docs-run harness itself: a failure names its line, a hang fails, state carries. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opendray-docs-harness-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fence = (info: string, ...lines: string[]): string => ['```' + info, ...lines, '```'].join('\n');

async function doc(name: string, text: string): Promise<Block[]> {
  await writeFile(join(dir, name), text);
  return runnableBlocks(dir, [name]);
}

function shell(timeoutMs = 20_000): DocShell {
  return new DocShell({ cwd: dir, env: cleanEnv(), timeoutMs, jsEnv: { DOC_JS: 'from-js-env' } });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runnableBlocks', () => {
  it('finds the three forms in order and skips unmarked blocks', async () => {
    const blocks = await doc('a.md', ['# t', fence('sh', 'not me'), fence('sh runnable', 'echo 1'), '', fence('js runnable', 'console.log(2)'), fence('sh runnable background', 'sleep 1')].join('\n'));
    expect(blocks.map((b) => [b.line, b.lang, b.background, b.code])).toEqual([
      [5, 'sh', false, 'echo 1'],
      [9, 'js', false, 'console.log(2)'],
      [12, 'sh', true, 'sleep 1'],
    ]);
  });

  it('refuses a misspelt runnable fence and an unclosed one, naming the line', async () => {
    await expect(doc('b.md', `x\n${fence('bash runnable', 'echo')}`)).rejects.toThrow(/b\.md:2: unknown runnable fence/);
    await expect(doc('c.md', `${fence('js runnable background', 'x')}`)).rejects.toThrow(/c\.md:1: unknown runnable fence/);
    await expect(doc('d.md', '\n\n```sh runnable\necho')).rejects.toThrow(/d\.md:3: the runnable block is never closed/);
  });
});

describe('DocShell', () => {
  it('carries variables, functions and the directory from block to block; stdin is empty', async () => {
    const blocks = await doc('carry.md', [fence('sh runnable', 'X=42', 'twice() { echo "$1$1"; }', 'mkdir -p sub && cd sub'), fence('sh runnable', 'cat', 'echo "x=$X $(twice ab) $(basename "$PWD")"')].join('\n'));
    const sh = shell();
    expect(await sh.run(blocks[0]!, blocks[0]!.code)).toMatchObject({ ok: true });
    expect(await sh.run(blocks[1]!, blocks[1]!.code)).toEqual({ ok: true, output: 'x=42 abab sub\n' });
    expect(await sh.close()).toMatchObject({ ok: true });
  });

  it('names the document line of the failing command and does not run the rest of the document', async () => {
    const blocks = await doc('fail.md', ['intro', fence('sh runnable', 'echo before', 'curl -s \\', '  http://127.0.0.1:1/ ', 'echo never'), fence('sh runnable', 'echo after')].join('\n'));
    const sh = shell();
    const failed = await sh.run(blocks[0]!, blocks[0]!.code);
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.message).toMatch(/^fail\.md:4 failed \(exit 7\):\nbefore\n/);
    expect(failed.message).not.toContain('never');
    const next = await sh.run(blocks[1]!, blocks[1]!.code);
    expect(next).toEqual({ ok: false, message: 'fail.md:8 not run: fail.md:4 failed' });
    await sh.close();
  });

  it('fails a block that hangs by its timeout and kills what it started', async () => {
    const pidFile = join(dir, 'sleeper.pid');
    const blocks = await doc('hang.md', fence('sh runnable', 'echo started', `sleep 600 & echo $! > ${pidFile}`, 'wait'));
    const sh = shell(2_000);
    const hung = await sh.run(blocks[0]!, blocks[0]!.code);
    expect(hung).toEqual({ ok: false, message: 'hang.md:1 timed out after 2 s (killed):\nstarted\n' });
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    for (let i = 0; i < 100 && alive(sleeper); i++) await sleep(50);
    expect(alive(sleeper)).toBe(false);
    await sh.close();
  });

  it('runs js blocks as programs with the extra env, and fails them by exit code and timeout', async () => {
    const blocks = await doc('prog.md', [fence('js runnable', 'console.log(process.env.DOC_JS)'), fence('js runnable', 'process.exit(3)'), fence('js runnable', 'setInterval(() => {}, 1000)')].join('\n'));
    const sh = shell(2_000);
    expect(await sh.run(blocks[0]!, blocks[0]!.code)).toEqual({ ok: true, output: 'from-js-env\n' });
    expect(await sh.run(blocks[1]!, blocks[1]!.code)).toEqual({ ok: false, message: 'prog.md:4 exited 3:\n' });
    expect(await sh.run(blocks[2]!, blocks[2]!.code)).toMatchObject({ ok: false, message: expect.stringMatching(/^prog\.md:7 timed out after 2 s/) });
    await sh.close();
  });

  it('starts a background block once it prints, keeps the document going, and stops it at the end', async () => {
    const pidFile = join(dir, 'server.pid');
    const blocks = await doc('bg.md', [fence('sh runnable', 'PORTNAME=up'), fence('sh runnable background', `echo "$PORTNAME"; echo $BASHPID > ${pidFile}; sleep 600`), fence('sh runnable', 'echo next')].join('\n'));
    const sh = shell();
    expect(await sh.run(blocks[0]!, blocks[0]!.code)).toMatchObject({ ok: true });
    expect(await sh.run(blocks[1]!, blocks[1]!.code)).toEqual({ ok: true, output: 'up\n' });
    expect(await sh.run(blocks[2]!, blocks[2]!.code)).toEqual({ ok: true, output: 'next\n' });
    const server = Number(await readFile(pidFile, 'utf8'));
    expect(alive(server)).toBe(true);
    expect(await sh.close()).toMatchObject({ ok: true });
    expect(alive(server)).toBe(false);
  });

  it('reports a background block that died before the end of the document', async () => {
    const blocks = await doc('bgdie.md', [fence('sh runnable background', 'echo up', 'until [ -e stop ]; do sleep 0.1; done', 'false'), fence('sh runnable', 'touch stop')].join('\n'));
    const sh = shell();
    expect(await sh.run(blocks[0]!, blocks[0]!.code)).toMatchObject({ ok: true });
    expect(await sh.run(blocks[1]!, blocks[1]!.code)).toMatchObject({ ok: true });
    // The shell records the background block's exit status beside its block file.
    const exitRecorded = async (): Promise<boolean> => {
      const runs = (await readdir(dir)).filter((e) => e.startsWith('.docs-run-'));
      const found = await Promise.all(runs.map((r) => readdir(join(dir, r)).then((files) => files.some((f) => f.endsWith('.rc')))));
      return found.some(Boolean);
    };
    for (let i = 0; i < 200 && !(await exitRecorded()); i++) await sleep(50);
    const closed = await sh.close();
    expect(closed).toEqual({ ok: false, message: 'bgdie.md:1 (background) exited 1 before the document\'s last block:\nup\n' });
  });
});
