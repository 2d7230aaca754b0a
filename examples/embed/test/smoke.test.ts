import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
const TOKEN = 'embed-smoke-token';
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`example exited ${code}: ${out}`)));
  });
});

afterAll(() => {
  child?.kill('SIGKILL');
});

describe('examples/embed', () => {
  it('serves its own routes next to the gateway', async () => {
    expect(await (await fetch(`${url}/`)).json()).toEqual({ app: 'my app', gateway: '/api/v1' });
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    const me = await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await me.json()).toMatchObject({ kind: 'admin' });
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it('drives a shell in-process and sees it end on the in-process bus', async () => {
    const demo = (await (await fetch(`${url}/demo`, { method: 'POST' })).json()) as { session_id: string; output: string };
    expect(demo.output).toContain('hello from the embed example');
    const deadline = Date.now() + 10_000;
    let ended: Array<{ session_id: string }> = [];
    while (Date.now() < deadline && !ended.some((e) => e.session_id === demo.session_id)) {
      ended = ((await (await fetch(`${url}/ended`)).json()) as { ended: typeof ended }).ended;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ended.map((e) => e.session_id)).toContain(demo.session_id);
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
