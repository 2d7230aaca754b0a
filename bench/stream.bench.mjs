// SPEC §14: PTY → `/stream` client throughput ≥ 75 % of raw kernel PTY throughput, and
// keystroke echo round trip over `/stream` p99 ≤ 5 ms.
//
// Throughput: `cat` of a STREAM_BENCH_MB (default 200) MB text file in a gateway session,
// read by a default-mode `/stream` client, from the keystroke that starts it to the
// `ended` frame; the baseline is `script -qc 'cat FILE' /dev/null` into /dev/null (the
// kernel PTY plus one reader process), timed the same way, best of RUNS each. The gateway
// runs in a child process so the client in this process does not share its event loop.
//
// Echo: one byte sent on `/stream` to `stty raw -echo; cat` in the session, timed until it
// comes back; the baseline is the same program under node-pty in this process (no gateway).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { fmt, percentile } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-admin-token-0123456789';
const MB = Number(process.env.STREAM_BENCH_MB ?? 200);
const RUNS = 3;
const ECHO_ROUNDS = 2000;
const ECHO_WARMUP = 200;

/** A gateway in a child process; resolves with its URL and a stop function. */
export async function startChildGateway(extraOptions = {}) {
  const code = `
    import { createGateway } from '@opendray/core';
    const gateway = await createGateway({
      auth: { adminToken: ${JSON.stringify(TOKEN)} },
      bcryptCost: 4,
      providers: [{ id: 'sh', display_name: 'sh', kind: 'shell', command: '/bin/sh', args: [], submit_key: '\\n', config_schema: {} }],
      ...${JSON.stringify(extraOptions)},
    });
    const { url } = await gateway.listen(0, '127.0.0.1');
    process.stdout.write('READY ' + url + '\\n');
    process.on('SIGTERM', () => gateway.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, [...(process.env.BENCH_GATEWAY_ARGS ?? '').split(' ').filter(Boolean), '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`gateway exited ${c}`)));
  });
  const api = async (path, body) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const stop = () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM'))));
  return { child, url, api, stop, wsUrl: (id) => `${url.replace(/^http/, 'ws')}/api/v1/sessions/${id}/stream` };
}

function openWs(url) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function makeFile(dir) {
  const path = join(dir, 'payload.txt');
  const line = 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  const block = Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length))).subarray(0, 1 << 20);
  await writeFile(path, Buffer.concat(Array.from({ length: MB }, () => block)));
  return path;
}

function rawSeconds(file) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('script', ['-qc', `cat ${file}`, '/dev/null'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve((performance.now() - start) / 1000) : reject(new Error(`script exited ${code}`))));
  });
}

/** node-pty alone, in this process, reading the same `cat`: what any Node PTY reader gets. */
function nodePtySeconds(file) {
  return new Promise((resolve) => {
    const start = performance.now();
    const p = require('node-pty').spawn('/bin/sh', ['-c', `cat ${file}`], { cols: 120, rows: 40, encoding: null, env: process.env });
    p.onData(() => undefined);
    p.onExit(() => resolve((performance.now() - start) / 1000));
  });
}

async function gatewaySeconds(g, file) {
  const session = await g.api('/sessions', { provider_id: 'sh', args: ['-c', `read go; cat ${file}`] });
  const ws = await openWs(g.wsUrl(session.id));
  let bytes = 0;
  let start = 0;
  const done = new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) bytes += data.length;
      else if (JSON.parse(data.toString()).type === 'ended') resolve((performance.now() - start) / 1000);
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  start = performance.now();
  ws.send('go\n');
  const seconds = await done;
  ws.close();
  return { seconds, bytes };
}

/** Round trips of one byte through `send` until `onEcho` sees it, in ms. */
export async function echoLatencies(send, subscribe) {
  const samples = [];
  let waiting = null;
  subscribe((chunk) => {
    if (waiting && chunk.includes(waiting.byte)) {
      const w = waiting;
      waiting = null;
      w.resolve();
    }
  });
  for (let i = 0; i < ECHO_WARMUP + ECHO_ROUNDS; i++) {
    const byte = 97 + (i % 26);
    const start = performance.now();
    await new Promise((resolve) => {
      waiting = { byte, resolve };
      send(Buffer.from([byte]));
    });
    if (i >= ECHO_WARMUP) samples.push(performance.now() - start);
  }
  return samples;
}

export default async function ({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-stream-'));
  const g = await startChildGateway();
  const rows = [];
  try {
    const file = await makeFile(dir);
    const size = (await stat(file)).size;
    log(`payload: ${MB} MB; ${RUNS} runs each`);
    let raw = Infinity;
    let gw = Infinity;
    let bare = Infinity;
    for (let r = 0; r < RUNS; r++) {
      raw = Math.min(raw, await rawSeconds(file));
      bare = Math.min(bare, await nodePtySeconds(file));
      const run = await gatewaySeconds(g, file);
      gw = Math.min(gw, run.seconds);
      log(`run ${r + 1}: raw ${fmt(size / 1e6 / raw, 'MB/s')}, node-pty alone ${fmt(size / 1e6 / bare, 'MB/s')}, gateway ${fmt(size / 1e6 / run.seconds, 'MB/s')} (${run.bytes} bytes on the wire)`);
    }
    const ratio = raw / gw;
    rows.push({
      name: `PTY → /stream throughput (cat ${MB} MB)`,
      figure: fmt(size / 1e6 / gw, 'MB/s'),
      baseline: `${fmt(size / 1e6 / raw, 'MB/s')} raw PTY (script)`,
      ratio,
      target: '≥ 0.75× raw',
      met: ratio >= 0.75,
    });
    rows.push({
      name: 'PTY read by node-pty alone (no gateway, no socket)',
      figure: fmt(size / 1e6 / bare, 'MB/s'),
      baseline: `${fmt(size / 1e6 / raw, 'MB/s')} raw PTY (script)`,
      ratio: raw / bare,
      target: 'informational: the ceiling of any node-pty reader',
    });

    const session = await g.api('/sessions', { provider_id: 'sh', args: ['-c', 'stty raw -echo; cat'] });
    const ws = await openWs(g.wsUrl(session.id));
    await new Promise((r) => setTimeout(r, 200));
    const viaGateway = await echoLatencies((b) => ws.send(b, { binary: true }), (fn) => ws.on('message', (d, bin) => bin && fn(d)));
    ws.close();
    const pty = require('node-pty').spawn('/bin/sh', ['-c', 'stty raw -echo; cat'], { cols: 80, rows: 24, encoding: null, env: process.env });
    await new Promise((r) => setTimeout(r, 200));
    const direct = await echoLatencies((b) => pty.write(b), (fn) => pty.onData(fn));
    pty.kill();
    const p99 = percentile(viaGateway, 99);
    const directP99 = percentile(direct, 99);
    rows.push({
      name: 'keystroke echo over /stream p50 / p99',
      figure: `${fmt(percentile(viaGateway, 50), 'ms')} / ${fmt(p99, 'ms')}`,
      baseline: `${fmt(percentile(direct, 50), 'ms')} / ${fmt(directP99, 'ms')} node-pty direct`,
      ratio: p99 / directP99,
      target: 'p99 ≤ 5 ms',
      met: p99 <= 5,
    });
  } finally {
    await g.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
