import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServe, type RunningServe } from './cli.js';

/** The static admin token of every serve these tests start. */
export const TOKEN = 'durability-admin-token-0123456789';

/** A `opendray serve` child with a bash provider and helpers to call it. */
export interface Served extends RunningServe {
  dataDir: string;
  api(path: string, init?: { method?: string; body?: unknown; token?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Raw `/buffer` of a session. */
  buffer(id: string, since?: number): Promise<{ text: string; start: number; cursor: number }>;
}

/** Writes a config file with a predictable bash provider (no rc files) into `dir`. */
export async function writeConfig(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'config.json');
  const bash = { id: 'bash', display_name: 'bash', kind: 'shell', command: '/bin/bash', args: ['--norc', '--noprofile'], submit_key: '\n', config_schema: {} };
  // Sandbox off: these tests watch session processes and terminals from the host (pids and
  // pts paths a session prints are its own namespace's inside bubblewrap); the sandbox's
  // process-tree kill has its own tests (packages/core/test/isolation).
  await writeFile(path, JSON.stringify({ providers: [bash], sandbox: 'off', ...extra }));
  return path;
}

/** Starts `opendray serve` on port 0 over `dataDir` with the static admin token. */
export async function serveAt(
  dataDir: string,
  configPath: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  prefix: string[] = [],
): Promise<Served> {
  const serve = await startServe(['--port', '0', '--data-dir', dataDir, '--config', configPath], {
    OPENDRAY_ADMIN_TOKEN: TOKEN,
    OPENDRAY_ADMIN_USER: 'admin',
    OPENDRAY_ADMIN_PASSWORD: 'durability-password',
    OPENDRAY_WORKSPACE: tmpdir(),
    OPENDRAY_LOG_LEVEL: 'warn',
    ...env,
  }, timeoutMs, prefix);
  const api: Served['api'] = async (path, init = {}) => {
    const res = await fetch(`${serve.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? TOKEN}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a buffer)
    }
    return { status: res.status, body, headers: res.headers };
  };
  const buffer: Served['buffer'] = async (id, since) => {
    const res = await fetch(`${serve.url}/api/v1/sessions/${id}/buffer${since !== undefined ? `?since=${since}` : ''}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`buffer ${id}: ${res.status}`);
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    return { text, start: Number(res.headers.get('x-opendray-buffer-start')), cursor: Number(res.headers.get('x-opendray-buffer-cursor')) };
  };
  return Object.assign(serve, { dataDir, api, buffer });
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls until `check` returns something truthy; rejects with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Whether a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of the processes whose session id is `sid`. */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[3]) === sid && f[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** How many PTY masters (/dev/ptmx or /dev/pts/ptmx) a process holds open. */
export function ptyMasters(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/ptmx$/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** An events socket that records every frame and how it closed. */
export function subscribe(url: string, topics: string): Promise<{ ws: WebSocket; frames: any[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/integrations/_events?topics=${encodeURIComponent(topics)}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const frames: any[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

/** Whether this process may mount file systems (root in a namespace that allows it). */
export function canMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
