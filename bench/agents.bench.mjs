// SPEC §14: agent turn end → `session.turn_completed` p99 ≤ 100 ms with hooks; 0 wrong
// states over 20 scripted turns per CLI. Real Claude Code, Codex and Gemini CLI (pinned,
// installed into the test cache) against the stand-in model server of the tests.
//
// Per turn the latency is measured from the stand-in's last byte of its reply to the
// `session.turn_completed` frame on the events WebSocket. Baselines in the same run, on the
// same turns: v2's silence timer (`session.idle` with a 3 s quiet window, the gateway's own
// idle detection) and agentapi's 2 s of screen stability (the rendered screen polled every
// 50 ms). Every judgement is checked against the stand-in's own log: one turn_completed per
// prompt, with the text the stand-in sent, never before its last byte, and no `idle` while
// a model request of the turn was still streaming.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import WebSocket from 'ws';
import { createGateway } from '@opendray/core';
import { fmt, percentile } from './lib/stats.mjs';

const TURNS = Number(process.env.AGENTS_BENCH_TURNS ?? 20);
const KINDS = (process.env.AGENTS_BENCH_CLIS ?? 'claude,codex,gemini').split(',');
const TOKEN = 'bench-admin-token-0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The tests' TypeScript support (stand-in, installer, seeded homes), bundled for this run. */
async function loadSupport() {
  const out = await mkdtemp(join(tmpdir(), 'opendray-agents-bench-'));
  const file = join(out, 'support.mjs');
  const support = fileURLToPath(new URL('../packages/core/test/support/', import.meta.url));
  await build({
    stdin: {
      contents: `export * from './model-stand-in/server.ts'; export * from './agent-clis.ts'; export * from './agent-homes.ts';`,
      resolveDir: support,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: file,
    logLevel: 'silent',
  });
  return { mod: await import(pathToFileURL(file).href), cleanup: () => rm(out, { recursive: true, force: true }) };
}

async function benchOne(kind, support, log) {
  const standIn = await support.startModelStandIn({ firstTokenDelayMs: 300 });
  const home = await support.createAgentHome(kind, await support.installAgentCli(kind), standIn.url);
  // Unsandboxed like the tests' gateways: the sandbox gives a session a private /tmp, which
  // would hide the seeded temp HOME (the figure is the detector's, not the sandbox's).
  const gateway = await createGateway({ bcryptCost: 4, auth: { adminToken: TOKEN }, providers: [home.provider], idleThresholdMs: 3000, sandbox: 'off' });
  const { url } = await gateway.listen(0, '127.0.0.1');
  const frames = [];
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/integrations/_events?topics=session.*`, { headers: { authorization: `Bearer ${TOKEN}` } });
  ws.on('message', (d) => frames.push({ at: Date.now(), ...JSON.parse(d.toString()) }));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const api = async (path, body) => {
    const res = await fetch(`${url}/api/v1${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return res.json();
  };
  const until = async (pred, ms = 60_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = pred();
      if (hit) return hit;
      if (Date.now() > end) return null;
      await sleep(10);
    }
  };
  const result = { kind, hook: [], silence: [], screen: [], wrong: 0, notes: [] };
  try {
    const session = await api('/sessions', { provider_id: kind, cwd: home.cwd, cols: 120, rows: 40 });
    const id = session.id;
    await until(() => frames.find((f) => f.topic === 'session.state_changed' && f.data.session_id === id && f.data.to === 'idle'));
    await sleep(1000);
    for (let n = 1; n <= TURNS; n++) {
      const logFrom = standIn.log.length;
      const frameFrom = frames.length;
      const typedAt = Date.now();
      await api(`/sessions/${id}/prompt`, { text: `say hello number ${n}`, wait: { until: 'none' } });
      const done = await until(() => frames.slice(frameFrom).find((f) => f.topic === 'session.turn_completed' && f.data.session_id === id));
      // agentapi: the rendered screen unchanged for 2 s; v2: no output for 3 s (session.idle).
      let last = '';
      let stableSince = Date.now();
      let screenAt = null;
      while (Date.now() - typedAt < 20_000) {
        const text = (await gateway.sessions.screen(id)).lines.join('\n');
        if (text !== last) {
          last = text;
          stableSince = Date.now();
        } else if (Date.now() - stableSince >= 2000) {
          screenAt = stableSince + 2000;
          break;
        }
        await sleep(50);
      }
      const idle = await until(() => frames.slice(frameFrom).find((f) => f.topic === 'session.idle' && f.data.session_id === id), 20_000);
      const turns = standIn.log.slice(logFrom).filter((r) => r.kind === 'turn');
      const final = turns.at(-1);
      const wrong = [];
      if (!done) wrong.push('no turn_completed');
      if (!final?.lastByteAt) wrong.push('the stand-in answered nothing');
      if (done && final?.answer?.text !== done.data.text) wrong.push(`text ${JSON.stringify(done.data.text)} ≠ ${JSON.stringify(final?.answer?.text)}`);
      const completions = frames.slice(frameFrom).filter((f) => f.topic === 'session.turn_completed' && f.data.session_id === id);
      if (completions.length !== 1) wrong.push(`${completions.length} turn_completed`);
      if (done && final?.lastByteAt && done.at < final.lastByteAt) wrong.push('turn_completed before the last byte');
      // No idle judgement while a model request of this turn was streaming.
      for (const f of frames.slice(frameFrom)) {
        if (f.topic !== 'session.state_changed' || f.data.session_id !== id || f.data.to !== 'idle') continue;
        if (turns.some((r) => r.at < f.at && f.at < r.lastByteAt)) wrong.push(`idle (${f.data.source}) mid-stream`);
      }
      if (wrong.length) {
        result.wrong++;
        result.notes.push(`turn ${n}: ${wrong.join('; ')}`);
      }
      if (done && final?.lastByteAt) result.hook.push(done.at - final.lastByteAt);
      if (idle && final?.lastByteAt) result.silence.push(idle.at - final.lastByteAt);
      if (screenAt && final?.lastByteAt) result.screen.push(screenAt - final.lastByteAt);
    }
    await api(`/sessions/${id}/stop`, {});
  } finally {
    ws.close();
    await gateway.close();
    await standIn.close();
    await rm(home.home, { recursive: true, force: true });
    await rm(home.cwd, { recursive: true, force: true });
  }
  log(`${kind}: detector p50 ${fmt(percentile(result.hook, 50), 'ms')}, silence p50 ${fmt(percentile(result.silence, 50), 'ms')}, screen p50 ${fmt(percentile(result.screen, 50), 'ms')}, wrong ${result.wrong}${result.notes.length ? ` (${result.notes.slice(0, 3).join(' | ')})` : ''}`);
  return result;
}

export default async function ({ log }) {
  const support = await loadSupport();
  const rows = [];
  try {
    for (const kind of KINDS) {
      const r = await benchOne(kind, support.mod, log);
      const p50 = percentile(r.hook, 50);
      const p99 = percentile(r.hook, 99);
      const silence99 = percentile(r.silence, 99);
      const screen99 = percentile(r.screen, 99);
      rows.push({
        name: `${kind}: turn end → turn_completed p50/p99 (${r.hook.length} turns)`,
        figure: `${fmt(p50, 'ms')} / ${fmt(p99, 'ms')}`,
        baseline: `silence 3 s: ${fmt(percentile(r.silence, 50), 'ms')} / ${fmt(silence99, 'ms')}; screen stable 2 s: ${fmt(percentile(r.screen, 50), 'ms')} / ${fmt(screen99, 'ms')}`,
        ratio: Math.min(silence99, screen99) / p99,
        target: 'p99 ≤ 100 ms',
        met: p99 <= 100 && r.hook.length === TURNS,
      });
      rows.push({
        name: `${kind}: wrong states over ${TURNS} turns`,
        figure: String(r.wrong),
        baseline: 'checked against the stand-in log',
        ratio: '',
        target: '0',
        met: r.wrong === 0,
      });
    }
  } finally {
    await support.cleanup();
  }
  return rows;
}
