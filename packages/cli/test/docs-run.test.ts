import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startServe, type RunningServe } from './support/cli.js';

/**
 * The docs run as written: every fenced block marked `runnable` (```sh runnable, ```js
 * runnable) in these files is run against a real `opendray serve`. What a reader would
 * substitute is substituted: the gateway's address, the printed password, an API key.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = ['README.md', 'docs/integration-guide.md', 'docs/sdk.md', 'docs/cli.md', 'docs/agents.md'];
const PASSWORD = 'docs-run-password-123';

interface Block {
  file: string;
  line: number;
  lang: 'sh' | 'js';
  code: string;
}

async function runnableBlocks(): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const file of DOCS) {
    const text = await readFile(join(REPO, file), 'utf8').catch(() => null);
    if (text === null) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(sh|js)\s+runnable\s*$/.exec(lines[i]!);
      if (!open) continue;
      const end = lines.indexOf('```', i + 1);
      blocks.push({ file, line: i + 1, lang: open[1] as 'sh' | 'js', code: lines.slice(i + 1, end).join('\n') });
      i = end;
    }
  }
  return blocks;
}

let serve: RunningServe;
let work: string;
let key: string;
let blocks: Block[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'opendray-docs-'));
  serve = await startServe(['--port', '0', '--data-dir', join(work, 'data')], { OPENDRAY_ADMIN_USER: 'admin', OPENDRAY_ADMIN_PASSWORD: PASSWORD });
  const login = await fetch(`${serve.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const reg = await fetch(`${serve.url}/api/v1/integrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'docs-bot', scopes: ['session:read', 'session:create', 'session:input', 'provider:read', 'event:subscribe:*'] }),
  });
  key = ((await reg.json()) as { api_key: string }).api_key;
  blocks = await runnableBlocks();
  // Every curl of a block fails on an HTTP error, as a reader would notice one.
  await writeFile(join(work, '.curlrc'), 'fail-with-body\n');
}, 60_000);
afterAll(async () => {
  await serve?.stop('SIGTERM');
  await rm(work, { recursive: true, force: true });
});

/** What a reader replaces in a block before running it. */
function substitute(code: string): string {
  const hostPort = serve.url.replace(/^http:\/\//, '');
  return code
    .replaceAll('127.0.0.1:8770', hostPort)
    .replaceAll('<printed password>', PASSWORD)
    .replaceAll('odk_live_…', key);
}

function run(block: Block): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { ...cleanEnv(), CURL_HOME: work, XDG_CONFIG_HOME: join(work, 'config'), OPENDRAY_URL: serve.url, OPENDRAY_TOKEN: key, OPENDRAY_ADMIN_PASSWORD: PASSWORD };
    const done = (err: ExecFileException | null, stdout: string, stderr: string): void =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    if (block.lang === 'sh') {
      execFile('/bin/bash', ['-e', '-o', 'pipefail', '-c', substitute(block.code)], { cwd: REPO, env, timeout: 120_000 }, done);
      return;
    }
    // A js block is an ES module run from the repo, so its imports resolve to the workspace packages.
    const file = join(REPO, 'examples', `.docs-run-${process.pid}-${block.line}.mjs`);
    void writeFile(file, substitute(block.code)).then(() =>
      execFile(process.execPath, [file], { cwd: REPO, env, timeout: 120_000 }, (err, stdout, stderr) => {
        void rm(file, { force: true }).then(() => done(err, stdout, stderr));
      }),
    );
  });
}

describe('docs that run as written', () => {
  it('finds runnable blocks in the README and the guides', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it('runs every runnable block against a started gateway', async () => {
    const failures: string[] = [];
    for (const block of blocks) {
      const { code, out } = await run(block);
      if (code !== 0) failures.push(`${block.file}:${block.line} exited ${code}:\n${out.slice(-2000)}`);
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
