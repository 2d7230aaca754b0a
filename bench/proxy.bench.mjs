// SPEC §14: reverse proxy ≥ 70 % of the throughput of calling the upstream directly.
//
// One upstream (a plain Node http server) in its own process; the gateway in another,
// with one integration whose base_url is that upstream; the load in this process. Each
// round measures, back to back, the same requests sent to the upstream directly and
// through `/api/v1/proxy/bench/…`:
//   - small GETs: closed-loop keep-alive load (PROXY_BENCH_CONCURRENCY clients, ~100 B
//     JSON answers) → requests/s, p50/p99 latency;
//   - a 100 MB download (PROXY_BENCH_DOWNLOAD_MB) → MB/s, time p50/p99 over the downloads.
// Figures are the medians over PROXY_BENCH_ROUNDS rounds (the machine is shared and noisy).
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
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

async function gatewayChild(upstreamPort) {
  const { createGateway } = await import('@opendray/core');
  const gateway = await createGateway({ auth: { adminToken: TOKEN }, bcryptCost: 4, healthIntervalMs: 600_000 });
  const { url, port } = await gateway.listen(0, '127.0.0.1');
  const res = await fetch(`${url}/api/v1/integrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', base_url: `http://127.0.0.1:${upstreamPort}`, route_prefix: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  process.send({ port });
  process.on('message', async (m) => {
    if (m.cmd === 'stop') {
      await gateway.close();
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
  process.on('message', (m) => {
    if (m.cmd !== 'stop') return;
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------- parent
function startChild(...args) {
  const proc = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  const stop = () => new Promise((r) => {
    proc.once('exit', r);
    proc.send({ cmd: 'stop' });
  });
  return { ready, stop };
}

/** Downloads `url` whole `times` times, one after the other; MB/s over all, per-download ms. */
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
  return { mbps: bytes / 1048576 / ((performance.now() - started) / 1000), p50: percentile(durations, 50), p99: percentile(durations, 99) };
}

export default async function ({ log }) {
  const upstream = startChild('--proxy-upstream');
  const { port: upPort } = await upstream.ready;
  const gateway = startChild('--proxy-gateway', String(upPort));
  const { port: gwPort } = await gateway.ready;
  const bare = startChild('--proxy-bare', String(upPort));
  const { port: barePort } = await bare.ready;
  const direct = `http://127.0.0.1:${upPort}`;
  const proxied = `http://127.0.0.1:${gwPort}/api/v1/proxy/bench`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const rounds = { directGet: [], proxyGet: [], bareGet: [], directDl: [], proxyDl: [], bareDl: [] };
  try {
    // Warm both paths (connections, JIT) before measuring.
    await load({ url: `${direct}/small`, concurrency: CONCURRENCY, durationMs: 500 });
    await load({ url: `${proxied}/small`, headers: auth, concurrency: CONCURRENCY, durationMs: 500 });
    for (let r = 0; r < ROUNDS; r++) {
      rounds.directGet.push(await load({ url: `${direct}/small`, concurrency: CONCURRENCY, durationMs: DURATION_MS }));
      rounds.proxyGet.push(await load({ url: `${proxied}/small`, headers: auth, concurrency: CONCURRENCY, durationMs: DURATION_MS }));
      rounds.bareGet.push(await load({ url: `${bareUrl}/small`, concurrency: CONCURRENCY, durationMs: DURATION_MS }));
      rounds.directDl.push(await downloads(`${direct}/big`, {}, DOWNLOADS));
      rounds.proxyDl.push(await downloads(`${proxied}/big`, auth, DOWNLOADS));
      rounds.bareDl.push(await downloads(`${bareUrl}/big`, {}, DOWNLOADS));
      const g = rounds.proxyGet.at(-1);
      const d = rounds.directGet.at(-1);
      log(`round ${r + 1}: GET ${fmt(g.rps, 'req/s')} via gateway, ${fmt(rounds.bareGet.at(-1).rps, 'req/s')} bare http-proxy, ${fmt(d.rps, 'req/s')} direct (errors ${g.errors}/${d.errors}); ` +
        `download ${fmt(rounds.proxyDl.at(-1).mbps, 'MB/s')}, ${fmt(rounds.bareDl.at(-1).mbps, 'MB/s')}, ${fmt(rounds.directDl.at(-1).mbps, 'MB/s')}`);
    }
  } finally {
    await gateway.stop();
    await bare.stop();
    await upstream.stop();
  }
  const mid = (runs, key) => median(runs.map((x) => x[key]));
  const errors = rounds.proxyGet.reduce((n, x) => n + x.errors, 0) + rounds.directGet.reduce((n, x) => n + x.errors, 0);
  const getRatio = mid(rounds.proxyGet, 'rps') / mid(rounds.directGet, 'rps');
  const dlRatio = mid(rounds.proxyDl, 'mbps') / mid(rounds.directDl, 'mbps');
  return [
    {
      name: `reverse proxy: small GETs, ${CONCURRENCY} keep-alive clients (median of ${ROUNDS})`,
      figure: `${fmt(mid(rounds.proxyGet, 'rps'), 'req/s')}, p50 ${fmt(mid(rounds.proxyGet, 'p50'), 'ms')}, p99 ${fmt(mid(rounds.proxyGet, 'p99'), 'ms')}${errors ? `, ${errors} errors` : ''}`,
      baseline: `${fmt(mid(rounds.directGet, 'rps'), 'req/s')}, p50 ${fmt(mid(rounds.directGet, 'p50'), 'ms')}, p99 ${fmt(mid(rounds.directGet, 'p99'), 'ms')} (direct)`,
      ratio: getRatio,
      target: '≥ 70 % of direct throughput',
      met: getRatio >= 0.7 && errors === 0,
    },
    {
      name: `reverse proxy: ${DOWNLOAD_MB} MB download ×${DOWNLOADS} (median of ${ROUNDS})`,
      figure: `${fmt(mid(rounds.proxyDl, 'mbps'), 'MB/s')}, p50 ${fmt(mid(rounds.proxyDl, 'p50'), 'ms')}, p99 ${fmt(mid(rounds.proxyDl, 'p99'), 'ms')}`,
      baseline: `${fmt(mid(rounds.directDl, 'mbps'), 'MB/s')}, p50 ${fmt(mid(rounds.directDl, 'p50'), 'ms')}, p99 ${fmt(mid(rounds.directDl, 'p99'), 'ms')} (direct)`,
      ratio: dlRatio,
      target: '≥ 70 % of direct throughput',
      met: dlRatio >= 0.7,
    },
    {
      name: 'reverse proxy: gateway vs a bare http-proxy server (same upstream, same run)',
      figure: `GET ${fmt(mid(rounds.proxyGet, 'rps'), 'req/s')}, download ${fmt(mid(rounds.proxyDl, 'mbps'), 'MB/s')}`,
      baseline: `GET ${fmt(mid(rounds.bareGet, 'rps'), 'req/s')}, download ${fmt(mid(rounds.bareDl, 'mbps'), 'MB/s')} (bare http-proxy)`,
      ratio: mid(rounds.proxyGet, 'rps') / mid(rounds.bareGet, 'rps'),
      target: 'informational: the cost of the gateway itself (GET ratio)',
    },
  ];
}

if (process.argv[2] === '--proxy-upstream') await upstreamChild();
if (process.argv[2] === '--proxy-gateway') await gatewayChild(Number(process.argv[3]));
if (process.argv[2] === '--proxy-bare') await bareProxyChild(Number(process.argv[3]));
