// SPEC §14: event fan-out — 100 subscribers on `session.output` while a session prints
// 10 MB: every event delivered, publish→receive latency p99 ≤ 50 ms, gateway CPU.
// Baseline in the same run: a bare `ws` server in the same kind of child process
// broadcasting the same frames to 100 clients.
//
// The output is published directly on the gateway's bus (`gateway.bus.publish`) as the
// session manager does it: `session.output` events of ≤ 64 KiB (SPEC §6 coalescing), paced
// like a session streaming output: 64 KiB every 10 ms, i.e. 6.4 MB/s to each subscriber and
// 640 MB/s out of the server (EVENTS_BENCH_CHUNK / EVENTS_BENCH_INTERVAL_MS override). Both run
// in a child process (this file with `--events-child`), the 100 clients in this process;
// timestamps are `performance.timeOrigin + performance.now()` in both processes.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { fmt, median, percentile } from './lib/stats.mjs';

const TOKEN = 'bench-admin-token-0123456789';
const SUBSCRIBERS = 100;
const TOTAL_BYTES = 10 * 1024 * 1024;
const CHUNK_BYTES = Number(process.env.EVENTS_BENCH_CHUNK ?? 64 * 1024);
const INTERVAL_MS = Number(process.env.EVENTS_BENCH_INTERVAL_MS ?? 10);
const EVENTS = Math.ceil(TOTAL_BYTES / CHUNK_BYTES);
const ROUNDS = Number(process.env.EVENTS_BENCH_ROUNDS ?? 3);
const wallNow = () => performance.timeOrigin + performance.now();

/** Terminal-like text: coloured lines with CR LF, so JSON escaping costs what it really costs. */
function outputChunk(bytes) {
  const line = '\u001b[32mok\u001b[0m src/events/subscriber.ts compiled in 12ms — lorem ipsum dolor sit amet\r\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

// ---------------------------------------------------------------------------------- child
async function child(mode) {
  const chunk = outputChunk(CHUNK_BYTES);
  let publish;
  let port;
  let stop;
  if (mode === 'gateway') {
    const { createGateway } = await import('@opendray/core');
    const gateway = await createGateway({ auth: { adminToken: TOKEN }, bcryptCost: 4 });
    ({ port } = await gateway.listen(0, '127.0.0.1'));
    publish = (data) => gateway.bus.publish('session.output', data, { tenant: 'int_bench' }).seq;
    stop = () => gateway.close();
  } else {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    port = wss.address().port;
    let seq = 0;
    publish = (data) => {
      // The best a bare server does: encode once, send the same bytes as a text frame to all.
      const frame = Buffer.from(JSON.stringify({ topic: 'session.output', ts: new Date().toISOString(), data, seq: ++seq }));
      for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(frame, { binary: false });
      return seq;
    };
    stop = () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(r);
    });
  }
  let cpu0;
  process.on('message', async (msg) => {
    if (msg.cmd === 'run') {
      cpu0 = process.cpuUsage();
      const sent = [];
      for (let i = 0; i < EVENTS; i++) {
        const t = wallNow();
        const seq = publish({ session_id: 'ses_bench', data: chunk, offset: i * CHUNK_BYTES, bytes: CHUNK_BYTES });
        sent.push([seq, t]);
        await new Promise((r) => (INTERVAL_MS > 0 ? setTimeout(r, INTERVAL_MS) : setImmediate(r)));
      }
      process.send({ published: sent });
    } else if (msg.cmd === 'cpu') {
      const used = process.cpuUsage(cpu0);
      process.send({ cpuMs: (used.user + used.system) / 1000, rssMb: process.memoryUsage().rss / 1048576 });
    } else if (msg.cmd === 'stop') {
      await stop();
      process.exit(0);
    }
  });
  process.send({ port });
}

// --------------------------------------------------------------------------------- parent
function startChild(mode) {
  const proc = fork(fileURLToPath(import.meta.url), ['--events-child', mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${mode} child exited ${code}`)));
  });
  return { proc, next, send: (m) => proc.send(m) };
}

async function measure(mode) {
  const c = startChild(mode);
  const { port } = await c.next();
  const url = mode === 'gateway'
    ? `ws://127.0.0.1:${port}/api/v1/integrations/_events?topics=session.output`
    : `ws://127.0.0.1:${port}/`;
  const recv = new Float64Array(SUBSCRIBERS * (EVENTS + 1));
  let received = 0;
  let gaps = 0;
  const clients = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => new Promise((resolve, reject) => {
    // The clients share one process: skip their UTF-8 check so the servers, not they, are measured.
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false, skipUTF8Validation: true });
    ws.on('message', (buf) => {
      const at = buf.lastIndexOf('"seq":');
      if (at < 0) {
        if (buf.includes('"_gap"')) gaps++;
        return;
      }
      const seq = parseInt(buf.toString('latin1', at + 6, buf.length - 1), 10);
      if (seq >= 1 && seq <= EVENTS && recv[i * (EVENTS + 1) + seq] === 0) {
        recv[i * (EVENTS + 1) + seq] = wallNow();
        received++;
      }
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  await new Promise((r) => setTimeout(r, 200));
  const t0 = wallNow();
  c.send({ cmd: 'run' });
  const { published } = await c.next();
  const deadline = Date.now() + 60_000;
  while (received < SUBSCRIBERS * EVENTS && gaps === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const wallMs = wallNow() - t0;
  c.send({ cmd: 'cpu' });
  const { cpuMs, rssMb } = await c.next();
  const latencies = [];
  for (const [seq, t] of published) {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const r = recv[i * (EVENTS + 1) + seq];
      if (r) latencies.push(r - t);
    }
  }
  for (const ws of clients) ws.terminate();
  c.send({ cmd: 'stop' });
  await new Promise((r) => c.proc.once('exit', r));
  return {
    expected: SUBSCRIBERS * published.length,
    received,
    gaps,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMs,
    wallMs,
    rssMb,
  };
}

/** Median of each figure over the rounds (the machine is shared and noisy); deliveries summed. */
function combine(runs) {
  const mid = (key) => median(runs.map((r) => r[key]));
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  return { expected: sum('expected'), received: sum('received'), gaps: sum('gaps'), p50: mid('p50'), p99: mid('p99'), cpuMs: mid('cpuMs'), wallMs: mid('wallMs'), rssMb: mid('rssMb') };
}

export default async function ({ log }) {
  log(`${SUBSCRIBERS} subscribers, ${EVENTS} session.output events of ${CHUNK_BYTES} B (${TOTAL_BYTES / 1048576} MiB), every ${INTERVAL_MS} ms, ${ROUNDS} rounds`);
  const bareRuns = [];
  const gwRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await measure('bare'));
    gwRuns.push(await measure('gateway'));
    log(`round ${round + 1}: bare p99 ${fmt(bareRuns.at(-1).p99, 'ms')}, gateway p99 ${fmt(gwRuns.at(-1).p99, 'ms')}`);
  }
  const bare = combine(bareRuns);
  const gw = combine(gwRuns);
  const cpu = (r) => `${fmt(r.cpuMs, 'ms')} CPU (${fmt((100 * r.cpuMs) / r.wallMs, '%')} of ${fmt(r.wallMs / 1000, 's')})`;
  return [
    {
      name: `event fan-out: delivered, ${SUBSCRIBERS} subscribers × 10 MiB session.output (${ROUNDS} rounds)`,
      figure: `${gw.received}/${gw.expected} events, ${gw.gaps} gaps`,
      baseline: `${bare.received}/${bare.expected} (bare ws broadcast)`,
      ratio: gw.received / gw.expected,
      target: 'every event delivered',
      met: gw.received === gw.expected && gw.gaps === 0,
    },
    {
      name: 'event fan-out: publish→receive latency (median of rounds)',
      figure: `p50 ${fmt(gw.p50, 'ms')}, p99 ${fmt(gw.p99, 'ms')}`,
      baseline: `p50 ${fmt(bare.p50, 'ms')}, p99 ${fmt(bare.p99, 'ms')} (bare ws broadcast)`,
      ratio: gw.p99 / bare.p99,
      target: 'p99 ≤ 50 ms',
      met: gw.p99 <= 50,
    },
    {
      name: 'event fan-out: server CPU during a round (median)',
      figure: `${cpu(gw)}, RSS ${fmt(gw.rssMb, 'MB')}`,
      baseline: `${cpu(bare)}, RSS ${fmt(bare.rssMb, 'MB')}`,
      ratio: gw.cpuMs / bare.cpuMs,
      target: 'informational (lower is better)',
    },
  ];
}

if (process.argv[2] === '--events-child') await child(process.argv[3]);
