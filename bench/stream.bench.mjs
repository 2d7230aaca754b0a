// SPEC §14: PTY → `/stream` client throughput ≥ 75 % of raw kernel PTY throughput; under a
// flood a reader that keeps reading is never closed and a driver with flow control receives
// every byte of a 200 MB `cat`; keystroke echo round trip over `/stream` p99 ≤ 5 ms.
//
// Throughput: `cat` of a STREAM_BENCH_MB (default 200) MB text file in a gateway session,
// read by the driver — a default-mode `/stream` client (`ws`) with `?flow=ack` — from the
// keystroke that starts it to the `ended` frame, every byte counted; baselines are
// `script -qc 'cat FILE' /dev/null` into /dev/null (the kernel PTY plus one reader
// process) and node-pty alone in this process, timed the same way; medians of
// STREAM_BENCH_RUNS (default 5) runs, interleaved. The gateway runs in a child process
// so the client in this process does not share its event loop.
//
// Flood with a viewer: the same `cat`, the same driver, plus a default-mode viewer on
// Node's built-in WebSocket (its own process) reading as fast as it can: it must get
// the `ended` frame and close 1000 (resynced with repaints if it fell behind, never 1013).
//
// Echo: one byte sent on `/stream` to `stty raw -echo; cat` in the session, timed until it
// comes back; the baseline is the same program under node-pty in this process (no gateway).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { fmt, median, percentile } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-admin-token-0123456789';
const MB = Number(process.env.STREAM_BENCH_MB ?? 200);
const RUNS = Number(process.env.STREAM_BENCH_RUNS ?? 5);
const VIEWER = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'builtin-ws-viewer.mjs');
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
    process.on('message', (m) => {
      if (m?.cmd !== 'cpu') return;
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    });
    process.on('SIGTERM', () => gateway.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, [...(process.env.BENCH_GATEWAY_ARGS ?? '').split(' ').filter(Boolean), '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
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
  /** The gateway process's CPU time so far, µs. */
  const cpu = () =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.cpu === undefined) return;
        child.off('message', on);
        resolve(m.cpu);
      };
      child.on('message', on);
      child.send({ cmd: 'cpu' });
    });
  return { child, url, api, stop, cpu, wsUrl: (id) => `${url.replace(/^http/, 'ws')}/api/v1/sessions/${id}/stream` };
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

/** node-pty alone, in this process, reading the same `cat`: what any Node PTY reader gets; seconds and CPU µs. */
function nodePtySeconds(file) {
  return new Promise((resolve) => {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const p = require('node-pty').spawn('/bin/sh', ['-c', `cat ${file}`], { cols: 120, rows: 40, encoding: null, env: process.env });
    p.onData(() => undefined);
    p.onExit(() => {
      const { user, system } = process.cpuUsage(cpu0);
      resolve({ seconds: (performance.now() - start) / 1000, cpu: user + system });
    });
  });
}

/** The built-in-WebSocket viewer in its own process; resolves once it is open. */
async function startBuiltinViewer(url) {
  const flags = typeof globalThis.WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
  const child = spawn(process.execPath, [...flags, VIEWER, `${url}?token=${TOKEN}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`viewer exited ${code}: ${out}`)));
  });
  await new Promise((resolve, reject) => {
    const check = () => (out.includes('OPEN') ? resolve() : setTimeout(check, 5));
    check();
    child.once('exit', () => reject(new Error(`viewer exited: ${out}`)));
  });
  return { done };
}

/** One `cat` read by the flow-controlled driver (and optionally a built-in-WebSocket viewer). */
async function gatewaySeconds(g, file, { viewer = false } = {}) {
  // The payload is read from the session's cwd: a sandboxed session sees its cwd, not the host's /tmp.
  const session = await g.api('/sessions', { provider_id: 'sh', cwd: dirname(file), args: ['-c', `read go; cat ${basename(file)}`] });
  const ws = await openWs(`${g.wsUrl(session.id)}?flow=ack`);
  const watcher = viewer ? await startBuiltinViewer(g.wsUrl(session.id)) : null;
  let bytes = 0;
  let start = 0;
  const done = new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) bytes += data.length;
      else if (JSON.parse(data.toString()).type === 'ended') resolve((performance.now() - start) / 1000);
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  const cpu0 = await g.cpu();
  start = performance.now();
  ws.send('go\n');
  const seconds = await done;
  const cpu = (await g.cpu()) - cpu0;
  ws.close();
  const { bytes_out: cursor } = await g.api(`/sessions/${session.id}`);
  // A `cat` that printed an error instead of the file is not a throughput figure.
  const expected = (await stat(file)).size;
  if (bytes < expected) throw new Error(`the session printed ${bytes} bytes of a ${expected}-byte payload`);
  return { seconds, bytes, cursor, cpu, viewer: watcher ? await watcher.done : null };
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
    const raw = [];
    const bare = [];
    const gw = [];
    const bareCpu = [];
    const gwCpu = [];
    const per100MB = (us) => us / 1000 / (size / 1e8);
    let lossless = true;
    for (let r = 0; r < RUNS; r++) {
      raw.push(size / 1e6 / (await rawSeconds(file)));
      const alone = await nodePtySeconds(file);
      bare.push(size / 1e6 / alone.seconds);
      bareCpu.push(per100MB(alone.cpu));
      const run = await gatewaySeconds(g, file);
      gw.push(size / 1e6 / run.seconds);
      gwCpu.push(per100MB(run.cpu));
      lossless &&= run.bytes === run.cursor;
      log(`run ${r + 1}: raw ${fmt(raw.at(-1), 'MB/s')}, node-pty alone ${fmt(bare.at(-1), 'MB/s')}, gateway driver ${fmt(gw.at(-1), 'MB/s')} (${run.bytes} of ${run.cursor} bytes)`);
    }
    const [rawMid, bareMid, gwMid] = [median(raw), median(bare), median(gw)];
    rows.push({
      name: `PTY → /stream driver with flow control (cat ${MB} MB, median of ${RUNS})`,
      figure: `${fmt(gwMid, 'MB/s')}${lossless ? ', every byte' : ', BYTES MISSING'}`,
      baseline: `${fmt(rawMid, 'MB/s')} raw PTY (script); ${fmt(bareMid, 'MB/s')} node-pty alone (${(gwMid / bareMid).toFixed(2)}×)`,
      ratio: gwMid / rawMid,
      target: '≥ 0.75× raw, every byte',
      met: gwMid / rawMid >= 0.75 && lossless,
    });
    rows.push({
      name: 'CPU per 100 MB streamed: gateway process vs node-pty alone (less disturbed by a busy machine)',
      figure: `${fmt(median(gwCpu), 'ms')} (read, ring, batch, WebSocket frames, flow control)`,
      baseline: `${fmt(median(bareCpu), 'ms')} node-pty alone (read only)`,
      ratio: median(gwCpu) / median(bareCpu),
      target: 'informational: what the gateway adds to reading',
    });
    rows.push({
      name: 'PTY read by node-pty alone (no gateway, no socket)',
      figure: fmt(bareMid, 'MB/s'),
      baseline: `${fmt(rawMid, 'MB/s')} raw PTY (script)`,
      ratio: bareMid / rawMid,
      target: 'informational: the ceiling of the stock node-pty reader',
    });

    const flood = await gatewaySeconds(g, file, { viewer: true });
    const v = flood.viewer;
    const finished = v.code === 1000 && v.ended?.type === 'ended';
    log(`flood with a viewer: driver ${fmt(size / 1e6 / flood.seconds, 'MB/s')}; viewer ${JSON.stringify(v)}`);
    rows.push({
      name: `default-mode viewer on Node's built-in WebSocket during the flood`,
      figure: `close ${v.code}${v.ended ? ' after ended' : ''}, ${fmt(v.bytes / 1e6, 'MB')} received, ${v.resets} repaints, ${fmt(v.seconds, 's')}`,
      baseline: `driver ${fmt(size / 1e6 / flood.seconds, 'MB/s')} in the same run, ${flood.bytes === flood.cursor ? 'every byte' : 'BYTES MISSING'}`,
      ratio: (size / 1e6 / flood.seconds) / gwMid,
      target: 'finishes (1000 after ended), never 1013',
      met: finished && flood.bytes === flood.cursor,
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
