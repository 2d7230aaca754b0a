import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, startServe, type RunningServe } from './support/cli.js';
import { DocShell, runnableBlocks, type Block } from './support/doc-blocks.js';

/**
 * The docs run as written (issue 17): every fenced block marked `runnable` (```sh runnable,
 * ```js runnable, ```sh runnable background) of these files runs against a real `opendray
 * serve`, one test per block named `file:line`. A document's sh blocks run in order in one
 * bash, as a reader pastes them into one terminal. The reader is in a checkout after
 * `npm install`, logged in once with `npx opendray login`; what they would substitute is
 * substituted: the gateway's address, the printed password, an integration key, the chat
 * webhook. Every curl fails on an HTTP error, as a reader would notice one.
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = ['README.md', 'docs/integration-guide.md', 'docs/sdk.md', 'docs/cli.md', 'docs/agents.md', 'examples/slack-style-bot/README.md'];
/** docs/agents.md's example needs a real agent CLI and a model: none of it runs here. */
const WITHOUT_RUNNABLE = new Set(['docs/agents.md']);
const PASSWORD = 'docs-run-password-123';
const BLOCK_TIMEOUT_MS = 90_000;

const blocks = runnableBlocks(REPO, DOCS);

let serve: RunningServe;
let work: string;
let checkout: string;
let key: string;
let chat: Server;
let chatUrl: string;
let botPort: number;
const chatMessages: string[] = [];

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
  await writeFile(join(work, '.curlrc'), 'fail-with-body\n');

  // `npx opendray login`, once, as the reader did (cli.md): the token saved for the gateway.
  const saved = await runCli(['login', '--url', serve.url, '--username', 'admin', '--password-stdin'], { XDG_CONFIG_HOME: join(work, 'config') }, 30_000, PASSWORD);
  expect(saved.stderr + saved.stdout).toMatch(/Logged in/);

  // The reader's checkout: the repository's entries, linked, in a directory of its own, so
  // what a block writes at the top (a key file) lands there and not in the repository.
  checkout = join(work, 'checkout');
  await mkdir(checkout);
  for (const entry of await readdir(REPO)) {
    if (entry === '.git' || entry.startsWith('.docs-run-')) continue;
    await symlink(join(REPO, entry), join(checkout, entry));
  }

  // The chat service's incoming webhook, in place of hooks.slack.com.
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      chatMessages.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
  chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/webhook`;
  botPort = await freePort();
}, 90_000);

afterAll(async () => {
  chat?.close();
  await serve?.stop('SIGTERM');
  await rm(work, { recursive: true, force: true });
});

/** What a reader replaces in a block before running it. */
function substitute(code: string): string {
  return code
    .replaceAll('127.0.0.1:8770', serve.url.replace(/^http:\/\//, ''))
    .replaceAll('127.0.0.1:8790', `127.0.0.1:${botPort}`)
    .replaceAll('<printed password>', PASSWORD)
    .replaceAll('odk_live_…', key)
    .replaceAll('https://hooks.slack.com/services/…', chatUrl);
}

/**
 * The reader's environment. OPENDRAY_URL and BOT_PORT stand in for the defaults
 * (127.0.0.1:8770, 8790), which a test cannot take. js blocks get OPENDRAY_TOKEN, the key,
 * as sdk.md says to run its quick start; sh blocks use the saved login instead.
 */
function readerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...cleanEnv(), CURL_HOME: work, XDG_CONFIG_HOME: join(work, 'config'), OPENDRAY_URL: serve.url, BOT_PORT: String(botPort) };
  delete env.BASH_ENV;
  delete env.ENV;
  return env;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('docs that run as written', () => {
  it.each(DOCS.filter((f) => !WITHOUT_RUNNABLE.has(f)))('%s has runnable blocks', (file) => {
    expect(blocks.filter((b) => b.file === file).length).toBeGreaterThan(0);
  });

  for (const file of DOCS) {
    const ofFile = blocks.filter((b) => b.file === file);
    if (ofFile.length === 0) continue;
    describe(file, () => {
      let shell: DocShell;
      beforeAll(() => {
        shell = new DocShell({ cwd: checkout, env: readerEnv(), jsEnv: { OPENDRAY_TOKEN: key }, timeoutMs: BLOCK_TIMEOUT_MS });
      });
      afterAll(async () => {
        await shell?.close();
      });
      for (const block of ofFile) {
        it(`${block.file}:${block.line}${block.background ? ' (background)' : ''}`, async () => {
          await expectRuns(shell, block);
        }, BLOCK_TIMEOUT_MS + 30_000);
      }
      if (file === 'examples/slack-style-bot/README.md') {
        // What the README says the chat then gets, from the reply relayed through the proxy.
        it(`${file}: the chat got "…ended with exit code 7"`, async () => {
          for (let i = 0; i < 200 && !chatMessages.some((m) => m.includes('exit code 7')); i++) await sleep(100);
          expect(chatMessages.join('\n')).toContain('exit code 7');
        }, 30_000);
      }
      if (ofFile.some((b) => b.background)) {
        it(`${file}: the background blocks still run after the last block`, async () => {
          const closed = await shell.close();
          if (!closed.ok) throw new Error(closed.message);
        }, 30_000);
      }
    });
  }
});

async function expectRuns(shell: DocShell, block: Block): Promise<void> {
  const outcome = await shell.run(block, substitute(block.code));
  if (!outcome.ok) throw new Error(outcome.message);
}
