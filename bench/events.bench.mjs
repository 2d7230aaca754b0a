// SPEC §14: event fan-out — 100 subscribers on `session.output` while a session prints
// 10 MB: every event delivered, publish→receive latency p99 ≤ 50 ms, gateway CPU.
// Baseline in the same run: a bare `ws` server in the same kind of child process running the
// same command in a node-pty PTY and broadcasting every chunk to 100 clients.
//
// The session is real: a shell prints 10 MiB of coloured terminal lines as 160 chunks of
// 64 KiB, one every 10 ms (6.4 MB/s to each subscriber, 640 MB/s out of the server), and the
// gateway's session manager coalesces its output into `session.output` events (SPEC §6).
// "Published" is when the gateway's bus publishes an event (an in-process listener notes
// it); timestamps are `performance.timeOrigin + performance.now()` in both processes.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { fmt, median, percentile } from './lib/stats.mjs';

const TOKEN = 'bench-admin-token-0123456789';
const SUBSCRIBERS = 100;
const TOTAL_BYTES = 10 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const CHUNKS = TOTAL_BYTES / CHUNK_BYTES;
const ROUNDS = Number(process.env.EVENTS_BENCH_ROUNDS ?? 3);
const wallNow = () => performance.timeOrigin + performance.now();

/** Terminal-like text: coloured lines, so JSON escaping costs what it really costs. */
function outputChunk(bytes) {
  const line = '\u001b[32mok\u001b[0m src/events/subscriber.ts compiled in 12ms — lorem ipsum dolor sit amet\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** The session's command: print the chunk file CHUNKS times, 10 ms apart. */
function printCommand(chunkFile) {
  return `i=0; while [ $i -lt ${CHUNKS} ]; do cat ${chunkFile}; sleep 0.01; i=$((i+1)); done`;
}

// ---------------------------------------------------------------------------------- child
async function child(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'opendray-events-bench-'));
  const chunkFile = join(dir, 'chunk.txt');
  writeFileSync(chunkFile, outputChunk(CHUNK_BYTES));
  let run;
  let port;
  let stop;
  if (mode === 'gateway') {
    const { createGateway } = await import('@opendray/core');
    const gateway = await createGateway({ auth: { adminToken: TOKEN }, bcryptCost: 4, workspaceRoot: dir });
    ({ port } = await gateway.listen(0, '127.0.0.1'));
    run = async () => {
      const sent = [];
      const off = gateway.bus.subscribe('session.output', (e) => sent.push([e.seq, wallNow()]));
      const ended = new Promise((r) => {
        const offEnded = gateway.bus.subscribe('session.ended', () => (offEnded(), r()));
      });
      await gateway.sessions.create({ provider_id: 'shell', args: ['-c', printCommand(chunkFile)] });
      await ended;
      off();
      return sent;
    };
    stop = () => gateway.close();
  } else {
    const pty = createRequire(import.meta.url)('node-pty');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    port = wss.address().port;
    run = () => new Promise((resolve) => {
      const sent = [];
      let seq = 0;
      let offset = 0;
      const term = pty.spawn(process.env.SHELL || '/bin/sh', ['-c', printCommand(chunkFile)], { cols: 120, rows: 40, cwd: dir, encoding: null, env: process.env });
      term.onData((chunk) => {
        // The best a bare server does: encode once, send the same bytes as a text frame to all.
        const data = { session_id: 'ses_bench', data: chunk.toString('utf8'), offset, bytes: chunk.length };
        offset += chunk.length;
        const frame = Buffer.from(JSON.stringify({ topic: 'session.output', ts: new Date().toISOString(), data, seq: ++seq }));
        sent.push([seq, wallNow()]);
        for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(frame, { binary: false });
      });
      term.onExit(() => setTimeout(() => resolve(sent), 50));
    });
    stop = () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(r);
    });
  }
  let cpu0;
  process.on('message', async (msg) => {
    if (msg.cmd === 'run') {
      cpu0 = process.cpuUsage();
      process.send({ published: await run() });
    } else if (msg.cmd === 'cpu') {
      const used = process.cpuUsage(cpu0);
      process.send({ cpuMs: (used.user + used.system) / 1000, rssMb: process.memoryUsage().rss / 1048576 });
    } else if (msg.cmd === 'stop') {
      await stop();
      rmSync(dir, { recursive: true, force: true });
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
  // seq → receive time per subscriber (seqs of a real session are not known in advance).
  const recv = new Map();
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
      let times = recv.get(seq);
      if (!times) recv.set(seq, (times = new Float64Array(SUBSCRIBERS)));
      if (times[i] === 0) {
        times[i] = wallNow();
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
  const wanted = (seq) => recv.get(seq)?.filter((t) => t > 0).length ?? 0;
  while (published.some(([seq]) => wanted(seq) < SUBSCRIBERS) && gaps === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const wallMs = wallNow() - t0;
  c.send({ cmd: 'cpu' });
  const { cpuMs, rssMb } = await c.next();
  const latencies = [];
  let delivered = 0;
  for (const [seq, t] of published) {
    for (const r of recv.get(seq) ?? []) {
      if (r === 0) continue;
      latencies.push(r - t);
      delivered++;
    }
  }
  for (const ws of clients) ws.terminate();
  c.send({ cmd: 'stop' });
  await new Promise((r) => c.proc.once('exit', r));
  return {
    expected: SUBSCRIBERS * published.length,
    received: delivered,
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
  log(`${SUBSCRIBERS} subscribers; a session prints ${TOTAL_BYTES / 1048576} MiB as ${CHUNKS} chunks of ${CHUNK_BYTES} B every 10 ms; ${ROUNDS} rounds`);
  const bareRuns = [];
  const gwRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await measure('bare'));
    gwRuns.push(await measure('gateway'));
    const [b, g] = [bareRuns.at(-1), gwRuns.at(-1)];
    log(`round ${round + 1}: bare ${b.expected / SUBSCRIBERS} frames p99 ${fmt(b.p99, 'ms')}; gateway ${g.expected / SUBSCRIBERS} events p99 ${fmt(g.p99, 'ms')}, ${g.received}/${g.expected} delivered`);
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
