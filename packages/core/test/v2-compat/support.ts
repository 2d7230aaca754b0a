import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { TEST_PROVIDERS } from '../fixtures/sessions.js';
import { registerIntegration, startGateway, type TestGateway } from '../support/gateway.js';
import type { GatewayOptions } from '../../src/index.js';

const run = promisify(execFile);

/**
 * The v2-compat suite drives the gateway the way a v2 client does: plain `fetch`, plain
 * `ws` and `curl`, no SDK. One gateway per file, with the test shells as providers.
 */
export function v2Gateway(options: GatewayOptions = {}): { get: () => TestGateway } {
  let t: TestGateway;
  beforeAll(async () => {
    // The fake CLIs print their argv, which these tests compare whole: no agent hook flags (SPEC §17; agents.test.ts has them).
    t = await startGateway({ providers: TEST_PROVIDERS, idleThresholdMs: 400, stopGraceMs: 500, agentHooks: { enabled: false }, ...options });
  });
  afterAll(() => t?.close());
  return { get: () => t };
}

/** The v2 guide's Slack-bot scopes: no session:create (docs/integration-guide.md of v2). */
export const GUIDE_BOT_SCOPES = ['session:read', 'session:input', 'event:subscribe:session.*'];

/** Every session scope and every event: what a fully trusted v2 key is usually given. */
export const ALL_SESSION_SCOPES = ['session:read', 'session:create', 'session:input', 'event:subscribe:*'];

let counter = 0;
/** Registers an integration with a fresh name; returns its id and key. */
export async function integration(t: TestGateway, body: Record<string, unknown> = {}): Promise<{ id: string; key: string; record: any }> {
  const r = await registerIntegration(t, { name: `v2-${process.pid}-${++counter}`, scopes: ALL_SESSION_SCOPES, ...body });
  return { id: r.integration.id, key: r.api_key, record: r.integration };
}

/** `POST /sessions` with a token (the admin's when absent); throws unless 201. */
export async function session(t: TestGateway, body: Record<string, unknown> = {}, token?: string): Promise<any> {
  const res = await t.apiJson('/sessions', { method: 'POST', body: { provider_id: 'sh', ...body }, ...(token ? { token } : {}) });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Runs the real `curl` with `args` (as a v2 guide's example is written) and returns the
 * status and the body (parsed as JSON when it is).
 */
export async function curl(args: string[]): Promise<{ status: number; body: any; text: string }> {
  const { stdout } = await run('curl', ['-s', '-S', '-w', '\n%{http_code}', ...args], { timeout: 20_000 });
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the text itself
  }
  return { status: Number(stdout.slice(cut + 1)), body, text };
}
