import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The fenced blocks of a document that a reader runs: ```sh runnable, ```js runnable and
 * ```sh runnable background (a long-running program the reader starts in another terminal
 * before going on, e.g. a bot; it must still be running when the document's last block ran).
 */
export interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'sh' | 'js';
  background: boolean;
  code: string;
}

/** Every runnable block of `files` (relative to `root`), in document order. A fence that says
 * `runnable` but is not one of the three forms, or is never closed, throws: a typo must not
 * silently drop a block from the test. */
export function runnableBlocks(root: string, files: readonly string[]): Block[] {
  const blocks: Block[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = lines[i]!;
      if (!fence.startsWith('```') || !/\brunnable\b/.test(fence)) continue;
      const open = /^```(sh|js) runnable( background)?\s*$/.exec(fence);
      if (!open || (open[1] === 'js' && open[2])) throw new Error(`${file}:${i + 1}: unknown runnable fence ${JSON.stringify(fence)}`);
      const end = lines.indexOf('```', i + 1);
      if (end < 0) throw new Error(`${file}:${i + 1}: the runnable block is never closed`);
      blocks.push({ file, line: i + 1, lang: open[1] as 'sh' | 'js', background: Boolean(open[2]), code: lines.slice(i + 1, end).join('\n') });
      i = end;
    }
  }
  return blocks;
}

export type Outcome = { ok: true; output: string } | { ok: false; message: string };

export interface ShellOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A block (or a background block's start-up) that takes longer fails, and is killed. */
  timeoutMs: number;
  /** Extra environment of js blocks (what the document tells the reader to set). */
  jsEnv?: NodeJS.ProcessEnv;
}

/**
 * The reader's terminal for one document: its sh blocks run in order in ONE bash (so a
 * variable, function or `cd` of a block is there in the next, as when pasting them in order),
 * with `set -e -o pipefail`: the first failing command fails the block, and the failure names
 * the document line of that command. The shell reads paths of block files on fd 3 and answers
 * on fd 4, so a block never sees the driver (its stdin is /dev/null).
 */
const DRIVER = String.raw`
set -e -o pipefail
while IFS=' ' read -r -u 3 __docs_kind __docs_file; do
  trap 'echo "$LINENO" > "$__docs_file.err"' ERR
  if [ "$__docs_kind" = bg ]; then
    { ( trap 'echo "$LINENO" > "$__docs_file.err"' ERR; source "$__docs_file" ) > "$__docs_file.log" 2>&1 \
        && echo 0 > "$__docs_file.rc" || echo "$?" > "$__docs_file.rc"; } 3<&- 4>&- &
  else
    source "$__docs_file" 3<&- 4>&-
  fi
  trap - ERR
  echo done >&4
done
`;

interface Background {
  block: Block;
  path: string;
}

export class DocShell {
  private child: ChildProcess | undefined;
  private output = '';
  private acks: Array<() => void> = [];
  private dead: string | undefined;
  /** Resolves with how the shell ended (`exit 1`, `signal SIGKILL`). */
  private exited: Promise<string> | undefined;
  private dir: string | undefined;
  private readonly background: Background[] = [];
  private seq = 0;
  private closing: Promise<Outcome> | undefined;

  constructor(private readonly options: ShellOptions) {}

  /** Runs one block; a failure says `file:line`, how it failed, and what it printed. */
  async run(block: Block, code: string): Promise<Outcome> {
    if (block.lang === 'js') return this.runJs(block, code);
    if (this.dead) return { ok: false, message: `${where(block)} not run: ${this.dead}` };
    const child = await this.start();
    const path = join(this.dir!, `block-${++this.seq}.sh`);
    await writeFile(path, `${code}\n`);
    const from = this.output.length;
    const acked = new Promise<'done'>((resolve) => this.acks.push(() => resolve('done')));
    (child.stdio[3] as Writable).write(`${block.background ? 'bg' : 'fg'} ${path}\n`);
    const verdict = await within(this.options.timeoutMs, Promise.race([acked, this.exited!.then((how) => ({ how }))]));
    const printed = (): string => tail(this.output.slice(from));
    if (verdict === 'timeout') {
      this.kill('SIGKILL');
      this.dead = `${where(block)} timed out`;
      return { ok: false, message: `${where(block)} timed out after ${this.options.timeoutMs / 1000} s (killed):\n${printed()}` };
    }
    if (verdict !== 'done') {
      const at = await failedLine(block, path);
      this.dead = `${at} failed`;
      return { ok: false, message: `${at} failed (${verdict.how}):\n${printed()}` };
    }
    if (!block.background) return { ok: true, output: this.output.slice(from) };
    this.background.push({ block, path });
    return this.awaitStartUp(block, path);
  }

  /**
   * Ends the document: every background block must still be running (a reader's bot that died
   * meanwhile is a failure), then the shell and everything it started are stopped.
   */
  async close(): Promise<Outcome> {
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<Outcome> {
    const problems: string[] = [];
    for (const { block, path } of this.background) {
      const rc = await readFile(`${path}.rc`, 'utf8').catch(() => null);
      if (rc !== null) problems.push(`${where(block)} (background) exited ${rc.trim()} before the document's last block:\n${tail(await readFile(`${path}.log`, 'utf8'))}`);
    }
    if (this.child) {
      (this.child.stdio[3] as Writable).end();
      await within(5_000, this.exited!);
      await this.stopGroup();
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    return problems.length ? { ok: false, message: problems.join('\n\n') } : { ok: true, output: '' };
  }

  private async start(): Promise<ChildProcess> {
    if (this.child) return this.child;
    this.dir = await mkdtemp(join(this.options.cwd, '.docs-run-'));
    const child = spawn('/bin/bash', ['--noprofile', '--norc', '-c', DRIVER], {
      cwd: this.options.cwd,
      env: this.options.env,
      // Its own process group: a timeout or the end kills everything the blocks started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (this.output += c));
    child.stderr!.on('data', (c: Buffer) => (this.output += c));
    createInterface({ input: child.stdio[4] as Readable }).on('line', () => this.acks.shift()?.());
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit ${code}`)));
    this.child = child;
    return child;
  }

  /** A background block is up once it printed its first line (as a reader waits for it). */
  private async awaitStartUp(block: Block, path: string): Promise<Outcome> {
    const deadline = Date.now() + this.options.timeoutMs;
    while (Date.now() < deadline) {
      const log = await readFile(`${path}.log`, 'utf8').catch(() => '');
      const rc = await readFile(`${path}.rc`, 'utf8').catch(() => null);
      if (rc !== null) return { ok: false, message: `${await failedLine(block, path)} (background) exited ${rc.trim()} at start:\n${tail(log)}` };
      if (log.includes('\n')) return { ok: true, output: log };
      await sleep(100);
    }
    return { ok: false, message: `${where(block)} (background) printed nothing within ${this.options.timeoutMs / 1000} s` };
  }

  /** A js block is a program the reader saves and runs with node, from the checkout. */
  private async runJs(block: Block, code: string): Promise<Outcome> {
    const file = join(this.options.cwd, `.docs-run-${process.pid}-${block.line}.mjs`);
    await writeFile(file, code);
    try {
      const child = spawn(process.execPath, [file], {
        cwd: this.options.cwd,
        env: { ...this.options.env, ...this.options.jsEnv },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (out += c));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const verdict = await within(this.options.timeoutMs, exit);
      if (verdict === 'timeout') {
        killGroup(child.pid!, 'SIGKILL');
        return { ok: false, message: `${where(block)} timed out after ${this.options.timeoutMs / 1000} s (killed):\n${tail(out)}` };
      }
      killGroup(child.pid!, 'SIGKILL');
      return verdict === 0 ? { ok: true, output: out } : { ok: false, message: `${where(block)} exited ${verdict}:\n${tail(out)}` };
    } finally {
      await rm(file, { force: true });
    }
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.child?.pid) killGroup(this.child.pid, signal);
  }

  /** SIGTERM to the group (a bot flushes and exits), SIGKILL to what is left after 5 s. */
  private async stopGroup(): Promise<void> {
    const pid = this.child!.pid!;
    killGroup(pid, 'SIGTERM');
    for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
    killGroup(pid, 'SIGKILL');
  }
}

/** `work`, or 'timeout' after `ms` (the timer is cleared either way). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | 'timeout'> {
  const timer = new AbortController();
  try {
    return await Promise.race([work, sleep(ms, 'timeout' as const, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

function where(block: Block): string {
  return `${block.file}:${block.line}`;
}

/** The document line of the command that failed (from the ERR trap), else the fence's. */
async function failedLine(block: Block, path: string): Promise<string> {
  const line = Number(await readFile(`${path}.err`, 'utf8').catch(() => ''));
  return line > 0 ? `${block.file}:${block.line + line}` : where(block);
}

function tail(text: string): string {
  return text.length > 3000 ? `…${text.slice(-3000)}` : text;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
