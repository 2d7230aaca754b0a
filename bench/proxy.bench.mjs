// SPEC §14: reverse proxy — small GETs ≥ 80 % and large downloads ≥ 95 % of a bare
// http-proxy server to the same upstream, same run (and the ratio to calling the upstream
// directly).
//
// One upstream (a plain Node http server) in its own process; each server under test in
// its own process; the load in this process. Each round measures, back to back, the same
// requests sent to: the upstream directly; the gateway (`/api/v1/proxy/bench/…`, admin
// token, signed, logged) on its default engine (undici); the gateway on the http-proxy
// engine (`proxyEngine: 'http-proxy'`); a bare http-proxy server; a bare undici proxy:
//   - small GETs: closed-loop keep-alive load (PROXY_BENCH_CONCURRENCY clients, ~100 B
//     JSON answers) → requests/s, p50/p99 latency;
//   - a 100 MB download (PROXY_BENCH_DOWNLOAD_MB) → MB/s, time p50/p99 over the downloads.
// Figures are medians over PROXY_BENCH_ROUNDS rounds (the machine is shared and noisy).
// BENCH_GATEWAY_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the gateway children.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerCpuProbes } from './lib/cpu-probe.mjs';
import { load } from './lib/load.mjs';
import { fmt, median, percentile } from './lib/stats.mjs';

const TOKEN = 'bench-admin-token-0123456789';
const ROUNDS = Number(process.env.PROXY_BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.PROXY_BENCH_CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.PROXY_BENCH_DURATION_MS ?? 2500);
const DOWNLOAD_MB = Number(process.env.PROXY_BENCH_DOWNLOAD_MB ?? 100);
const DOWNLOADS = Number(process.env.PROXY_BENCH_DOWNLOADS ?? 3);

// ---------------------------------------------------------------------------------- children
async function upstreamChild() {
  const small = Buffer.from(JSON.stringify({ ok: true, service: 'bench-upstream', items: [1, 2, 3], note: 'a small answer' }));
  const block = Buffer.alloc(1024 * 1024, 97);
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url.startsWith('/big')) {
      const total = DOWNLOAD_MB * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = Infinity));
      return pump();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(small.length) });
    res.end(small);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  process.send({ port: server.address().port });
  process.on('message', (m) => {
    if (m.cmd !== 'stop') return;
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

async function gatewayChild(upstreamPort, proxyEngine) {
  const { createGateway } = await import('@opendray/core');
  // The embedder default (memory store); PROXY_BENCH_STORAGE=sqlite stores on a SQLite file as
  // `opendray serve` does (GETs cost less there: the memory store keeps records serialized in
  // the heap and re-serializes the call log's newest segment on each flush).
  const dir = process.env.PROXY_BENCH_STORAGE === 'sqlite' ? await mkdtemp(join(tmpdir(), 'opendray-bench-proxy-')) : null;
  const storage = dir ? `sqlite://${join(dir, 'opendray.sqlite')}` : 'memory';
  const gateway = await createGateway({ auth: { adminToken: TOKEN }, bcryptCost: 4, healthIntervalMs: 600_000, proxyEngine, storage });
  const { url, port } = await gateway.listen(0, '127.0.0.1');
  const res = await fetch(`${url}/api/v1/integrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', base_url: `http://127.0.0.1:${upstreamPort}`, route_prefix: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  process.send({ port });
  answerCpuProbes();
  process.on('message', async (m) => {
    if (m.cmd === 'stop') {
      await gateway.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
}

/** A bare http-proxy server: what any Node proxy costs, to tell it from the gateway's own cost. */
async function bareProxyChild(upstreamPort) {
  const { default: httpProxy } = await import('http-proxy');
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
  const proxy = httpProxy.createProxyServer({ agent, target: `http://127.0.0.1:${upstreamPort}` });
  proxy.on('error', (_err, _req, res) => res.destroy());
  const server = http.createServer((req, res) => proxy.web(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  process.send({ port: server.address().port });
  answerCpuProbes();
  process.on('message', (m) => {
    if (m.cmd !== 'stop') return;
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

/** A bare proxy server on undici's dispatcher: what the undici engine is measured against. */
async function bareUndiciChild(upstreamPort) {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
  const server = http.createServer((req, res) => {
    pool.dispatch(
      { method: req.method, path: req.url, headers: req.headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
      {
        onConnect() {},
        onHeaders(status, raw, resume) {
          const headers = {};
          for (let i = 0; i < raw.length; i += 2) headers[raw[i].toString('latin1')] = raw[i + 1].toString('latin1');
          res.writeHead(status, headers);
          res.on('drain', resume);
          return true;
        },
        onData(chunk) {
          return res.write(chunk);
        },
        onComplete() {
          res.end();
        },
        onError() {
          res.destroy();
        },
      },
    );
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  process.send({ port: server.address().port });
  answerCpuProbes();
  process.on('message', (m) => {
    if (m.cmd !== 'stop') return;
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------- parent
function startChild(...args) {
  const execArgv = args[0] === '--proxy-gateway' ? (process.env.BENCH_GATEWAY_ARGS ?? '').split(' ').filter(Boolean) : [];
  const proc = fork(fileURLToPath(import.meta.url), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  const stop = () => new Promise((r) => {
    proc.once('exit', r);
    proc.send({ cmd: 'stop' });
  });
  /** The child's CPU time so far, in µs (bench/lib/cpu-probe.mjs). */
  const cpu = () =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.cpu === undefined) return;
        proc.off('message', on);
        resolve(m.cpu);
      };
      proc.on('message', on);
      proc.send({ cmd: 'cpu' });
    });
  return { ready, stop, cpu };
}

/** Downloads `url` whole `times` times, one after the other; bytes, seconds, per-download ms. */
async function downloads(url, headers, times) {
  const agent = new http.Agent({ keepAlive: true });
  const durations = [];
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      http.get(url, { agent, headers }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`download answered ${res.statusCode}`));
        res.on('data', (c) => (bytes += c.length));
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    durations.push(performance.now() - t0);
  }
  agent.destroy();
  return { bytes, seconds: (performance.now() - started) / 1000, durations };
}

const SERVERS = [
  { key: 'direct', label: 'direct' },
  { key: 'gateway', label: 'gateway (undici engine)', child: ['--proxy-gateway', 'undici'] },
  { key: 'gatewayHttpProxy', label: 'gateway (http-proxy engine)', child: ['--proxy-gateway', 'http-proxy'] },
  { key: 'bare', label: 'bare http-proxy', child: ['--proxy-bare'] },
  { key: 'bareUndici', label: 'bare undici proxy', child: ['--proxy-bare-undici'] },
];

export default async function ({ log }) {
  const upstream = startChild('--proxy-upstream');
  const { port: upPort } = await upstream.ready;
  const children = [];
  const base = {};
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = {};
  const dl = {};
  const cpuPerGet = {};
  const probe = {};
  try {
    for (const server of SERVERS) {
      get[server.key] = [];
      dl[server.key] = [];
      cpuPerGet[server.key] = [];
      if (!server.child) {
        base[server.key] = { url: `http://127.0.0.1:${upPort}`, headers: {} };
        continue;
      }
      const [kind, ...rest] = server.child;
      const child = startChild(kind, String(upPort), ...rest);
      children.push(child);
      probe[server.key] = child.cpu;
      const { port } = await child.ready;
      const gateway = kind === '--proxy-gateway';
      base[server.key] = { url: `http://127.0.0.1:${port}${gateway ? '/api/v1/proxy/bench' : ''}`, headers: gateway ? auth : {} };
    }
    // Warm every path (connections, JIT) before measuring.
    for (const server of SERVERS) await load({ url: `${base[server.key].url}/small`, headers: base[server.key].headers, concurrency: CONCURRENCY, durationMs: 500 });
    for (let r = 0; r < ROUNDS; r++) {
      for (const { key } of SERVERS) {
        const cpu0 = await probe[key]?.();
        const run = await load({ url: `${base[key].url}/small`, headers: base[key].headers, concurrency: CONCURRENCY, durationMs: DURATION_MS });
        if (probe[key]) cpuPerGet[key].push(((await probe[key]()) - cpu0) / run.requests);
        get[key].push(run);
      }
      // Downloads interleaved across servers, one at a time, so a burst of load elsewhere on
      // the machine does not land on one server's downloads only.
      const round = Object.fromEntries(SERVERS.map(({ key }) => [key, { bytes: 0, seconds: 0, durations: [], cpu: 0 }]));
      for (let i = 0; i < DOWNLOADS; i++) {
        for (const { key } of SERVERS) {
          const cpu0 = await probe[key]?.();
          const one = await downloads(`${base[key].url}/big`, base[key].headers, 1);
          if (probe[key]) round[key].cpu += (await probe[key]()) - cpu0;
          round[key].bytes += one.bytes;
          round[key].seconds += one.seconds;
          round[key].durations.push(...one.durations);
        }
      }
      for (const { key } of SERVERS) {
        const r = round[key];
        dl[key].push({ mbps: r.bytes / 1048576 / r.seconds, p50: percentile(r.durations, 50), p99: percentile(r.durations, 99), cpuPer100MB: r.cpu / 1000 / (r.bytes / 1e8) });
      }
      log(`round ${r + 1}: ${SERVERS.map(({ key, label }) => `${label} GET ${fmt(get[key].at(-1).rps, 'req/s')} (${get[key].at(-1).errors} errors), download ${fmt(dl[key].at(-1).mbps, 'MB/s')}`).join('; ')}`);
    }
  } finally {
    for (const child of children) await child.stop();
    await upstream.stop();
  }
  const mid = (runs, k) => median(runs.map((x) => x[k]));
  const rps = (key) => mid(get[key], 'rps');
  const mbps = (key) => mid(dl[key], 'mbps');
  const errors = Object.values(get).flat().reduce((n, x) => n + x.errors, 0);
  const row = (key, what) => `${fmt(rps(key), 'req/s')}, p50 ${fmt(mid(get[key], 'p50'), 'ms')}, p99 ${fmt(mid(get[key], 'p99'), 'ms')}${what ? ` (${what})` : ''}`;
  const dlRow = (key, what) => `${fmt(mbps(key), 'MB/s')}, p50 ${fmt(mid(dl[key], 'p50'), 'ms')}, p99 ${fmt(mid(dl[key], 'p99'), 'ms')}${what ? ` (${what})` : ''}`;
  const getRatio = rps('gateway') / rps('bare');
  const cpuOf = (key) => median(cpuPerGet[key]);
  const dlRatio = mbps('gateway') / mbps('bare');
  return [
    {
      name: `reverse proxy: small GETs, ${CONCURRENCY} keep-alive clients (median of ${ROUNDS})`,
      figure: `${row('gateway')}${errors ? `, ${errors} errors` : ''}`,
      baseline: `${row('bare', 'bare http-proxy')}; direct ${fmt(rps('direct'), 'req/s')} (${(rps('gateway') / rps('direct')).toFixed(2)}×)`,
      ratio: getRatio,
      target: '≥ 0.8× bare http-proxy',
      met: getRatio >= 0.8 && errors === 0,
    },
    {
      name: `reverse proxy: ${DOWNLOAD_MB} MB download ×${DOWNLOADS} (median of ${ROUNDS})`,
      figure: dlRow('gateway'),
      baseline: `${dlRow('bare', 'bare http-proxy')}; direct ${fmt(mbps('direct'), 'MB/s')} (${(mbps('gateway') / mbps('direct')).toFixed(2)}×)`,
      ratio: dlRatio,
      target: '≥ 0.95× bare http-proxy',
      met: dlRatio >= 0.95,
    },
    {
      name: 'reverse proxy engines side by side (same run): GET req/s, download MB/s',
      figure: `gateway on http-proxy: GET ${fmt(rps('gatewayHttpProxy'), 'req/s')} (${(rps('gatewayHttpProxy') / rps('bare')).toFixed(2)}×), download ${fmt(mbps('gatewayHttpProxy'), 'MB/s')} (${(mbps('gatewayHttpProxy') / mbps('bare')).toFixed(2)}×)`,
      baseline: `bare undici proxy: GET ${fmt(rps('bareUndici'), 'req/s')}, download ${fmt(mbps('bareUndici'), 'MB/s')}; bare http-proxy ${fmt(rps('bare'), 'req/s')}, ${fmt(mbps('bare'), 'MB/s')}`,
      ratio: rps('gatewayHttpProxy') / rps('bare'),
      target: 'informational: why the gateway uses undici (ratios vs bare http-proxy)',
    },
    {
      name: 'reverse proxy: CPU per 100 MB downloaded in the proxy process',
      figure: `gateway ${fmt(mid(dl.gateway, 'cpuPer100MB'), 'ms')} (undici), ${fmt(mid(dl.gatewayHttpProxy, 'cpuPer100MB'), 'ms')} (http-proxy engine)`,
      baseline: `bare http-proxy ${fmt(mid(dl.bare, 'cpuPer100MB'), 'ms')}; bare undici ${fmt(mid(dl.bareUndici, 'cpuPer100MB'), 'ms')}`,
      ratio: mid(dl.bare, 'cpuPer100MB') / mid(dl.gateway, 'cpuPer100MB'),
      target: 'informational: bare http-proxy CPU ÷ gateway CPU',
    },
    {
      name: 'reverse proxy: CPU per small GET in the proxy process (less disturbed by a busy machine)',
      figure: `gateway ${fmt(cpuOf('gateway'), 'µs')} (undici), ${fmt(cpuOf('gatewayHttpProxy'), 'µs')} (http-proxy engine)`,
      baseline: `bare http-proxy ${fmt(cpuOf('bare'), 'µs')}; bare undici ${fmt(cpuOf('bareUndici'), 'µs')}`,
      ratio: cpuOf('bare') / cpuOf('gateway'),
      target: 'informational: bare http-proxy CPU ÷ gateway CPU (≥ 0.8 is the GET target in CPU terms)',
    },
  ];
}

if (process.argv[2] === '--proxy-upstream') await upstreamChild();
if (process.argv[2] === '--proxy-gateway') await gatewayChild(Number(process.argv[3]), process.argv[4]);
if (process.argv[2] === '--proxy-bare') await bareProxyChild(Number(process.argv[3]));
if (process.argv[2] === '--proxy-bare-undici') await bareUndiciChild(Number(process.argv[3]));
