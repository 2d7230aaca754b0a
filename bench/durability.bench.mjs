// SPEC §14 and issue #16: what durability costs and what it buys.
// 1. Per-write-kind latency on the SQLite store at the chosen level (synchronous=FULL,
//    fsync before the acknowledgement) next to synchronous=NORMAL, same run, same machine.
// 2. Graceful shutdown of `opendray serve` with 200 and 1000 sessions each running a
//    background job (target ≤ 10 s, every tail saved), next to node-pty alone hanging up as many shells.
// 3. Output lost on kill -9: what a flooding session printed before the kill vs what is
//    readable after the restart (target: ≤ about 1 s of it).
// 4. What writing output to files costs: PTY → /stream throughput of a `cat` with
//    `outputDir` set (as `opendray serve` runs) next to the same gateway without it.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { createGateway } from '@opendray/core';
import WebSocket from 'ws';
import { CLI, spawnUntil } from './lib/processes.mjs';
import { startChildGateway } from './stream.bench.mjs';
import { fmt, percentile } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const TOKEN = 'bench-admin-token-0123456789';
const READY = /listening on (http:\/\/\S+)/;
const WRITES = Number(process.env.DURABILITY_BENCH_WRITES ?? 300);
const SHUTDOWN_COUNTS = (process.env.DURABILITY_BENCH_SESSIONS ?? '200,1000').split(',').map(Number);

export default async function ({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-durability-'));
  const rows = [];
  try {
    rows.push(...(await writeKinds(dir, log)));
    rows.push(...(await shutdowns(dir, log)));
    rows.push(await outputLoss(dir, log));
    rows.push(await outputCost(dir, log));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------- 1. write kinds

const integration = (i, tag) => ({
  id: `int_${tag}${String(i).padStart(11, '0')}`.slice(0, 16),
  name: `bench-${tag}-${i}`,
  base_url: '',
  route_prefix: '',
  scopes: ['session:read', 'event:subscribe:session.*'],
  enabled: true,
  health_status: 'unknown',
  created_at: new Date().toISOString(),
  max_sessions: 0,
  key: { lookup_id: `lk${tag}${i}`, hash: '$2b$12$'.padEnd(60, 'x') },
});

const session = (id, history) => ({
  id,
  name: id,
  provider_id: 'shell',
  cwd: '/tmp',
  args: [],
  state: 'running',
  cols: 120,
  rows: 40,
  origin: 'operator',
  created_at: new Date().toISOString(),
  started_at: new Date().toISOString(),
  bytes_out: 0,
  env: {},
  history,
});

/** Latencies (ms) of `n` writes one after another, and of `n` writes 32 at a time (group commit). */
async function time(n, write) {
  const one = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await write(i);
    one.push(performance.now() - t0);
  }
  return one;
}

async function writeKinds(dir, log) {
  const levels = {};
  for (const level of ['full', 'normal']) {
    const g = await createGateway({ storage: `sqlite://${join(dir, `writes-${level}.sqlite`)}`, storageDurability: level });
    const st = g.stores;
    const history = Array.from({ length: 200 }, (_, i) => ({ ts: new Date().toISOString(), text: `echo entry ${i}`, session_id: 'ses_bench' }));
    const kinds = {};
    kinds['integration register'] = await time(WRITES, (i) => st.integrations.create(integration(i, level[0])));
    kinds['integration update'] = await time(WRITES, (i) => st.integrations.update(integration(i, level[0]).id, (r) => ({ ...r, enabled: i % 2 === 0 })));
    kinds['session record (create / stop)'] = await time(WRITES, (i) => st.sessions.put(session(`ses_${level}${String(i).padStart(10, '0')}`, [])));
    kinds['session input + history (200 entries)'] = await time(WRITES, (i) => st.sessions.put(session(`ses_${level}${String(i % 20).padStart(10, '0')}`, history)));
    kinds['admin login token'] = await time(WRITES, (i) => st.adminTokens.put({ digest: `d${level}${i}`, username: 'admin', issued_at: new Date().toISOString(), expires_at: new Date(Date.now() + 3_600_000).toISOString() }));
    kinds['integration delete'] = await time(WRITES, (i) => st.integrations.delete(integration(i, level[0]).id));
    // 32 writers at once: group commit turns them into few fsyncs.
    const t0 = performance.now();
    await Promise.all(Array.from({ length: WRITES }, (_, i) => st.sessions.put(session(`ses_${level}c${String(i).padStart(9, '0')}`, []))));
    kinds['session record, 300 at once (per write)'] = [(performance.now() - t0) / WRITES];
    levels[level] = kinds;
    await g.close();
  }
  const rows = [];
  for (const kind of Object.keys(levels.full)) {
    const full = levels.full[kind];
    const normal = levels.normal[kind];
    const f50 = percentile(full, 50);
    const n50 = percentile(normal, 50);
    const detail = full.length > 1 ? ` (p99 ${fmt(percentile(full, 99), 'ms')})` : '';
    log(`${kind}: full p50 ${f50.toFixed(3)} ms p99 ${percentile(full, 99).toFixed(3)} ms; normal p50 ${n50.toFixed(3)} ms p99 ${percentile(normal, 99).toFixed(3)} ms`);
    rows.push({
      name: `store write: ${kind}, p50${detail}`,
      figure: `${fmt(f50, 'ms')} (synchronous=FULL)`,
      baseline: `${fmt(n50, 'ms')} (synchronous=NORMAL)`,
      ratio: f50 / n50,
      target: 'acknowledged = on disk (docs/durability.md)',
    });
  }
  return rows;
}

// ---------------------------------------------------------------- 2. shutdown

async function serveChild(dataDir, config) {
  const s = await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--config', config], READY, {
    OPENDRAY_ADMIN_TOKEN: TOKEN,
    OPENDRAY_ADMIN_USER: 'admin',
    OPENDRAY_ADMIN_PASSWORD: 'bench-password',
    OPENDRAY_LOG_LEVEL: 'error',
    OPENDRAY_WORKSPACE: tmpdir(),
  }, 60_000);
  const url = s.match;
  const api = async (path, body, method = body ? 'POST' : 'GET') => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.headers.get('content-type')?.includes('json') ? res.json() : Buffer.from(await res.arrayBuffer());
  };
  const exited = new Promise((r) => s.child.once('exit', (code) => r(code)));
  return { ...s, url, api, exited };
}

async function parallel(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

async function shutdownOf(dir, n, config) {
  const dataDir = join(dir, `shutdown-${n}`);
  const g = await serveChild(dataDir, config);
  const ids = [];
  await parallel(Array.from({ length: n }, (_, i) => i), 8, async (i) => {
    const s = await g.api('/sessions', { provider_id: 'bash', name: `s${i}` });
    await g.api(`/sessions/${s.id}/input`, { data: `sleep 600 & echo M$((100000+${i}))\n` });
    ids[i] = s.id;
  });
  await parallel(ids, 8, async (id, i) => {
    for (let t = 0; t < 600; t++) {
      if ((await g.api(`/sessions/${id}/buffer`)).toString().includes(`M${100000 + i}`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  const t0 = performance.now();
  g.child.kill('SIGTERM');
  const code = await g.exited;
  const ms = performance.now() - t0;
  let saved = 0;
  if (n > 0) {
    const again = await serveChild(dataDir, config);
    await parallel(ids, 16, async (id, i) => {
      if ((await again.api(`/sessions/${id}/buffer`)).toString().includes(`M${100000 + i}`)) saved++;
    });
    await again.stop();
  }
  return { ms, code, saved };
}

/** The floor any gateway pays: node-pty alone, `n` shells with a job each, SIGHUP to each group, until every exit. */
async function directHangup(n) {
  const pty = require('node-pty');
  const procs = [];
  for (let i = 0; i < n; i++) {
    const p = pty.spawn('/bin/bash', ['--norc', '--noprofile'], { name: 'xterm-256color', cols: 120, rows: 40, encoding: null, env: process.env });
    p.onData(() => {});
    p.write('sleep 600 &\n');
    procs.push({ p, exited: new Promise((r) => p.onExit(r)) });
  }
  await new Promise((r) => setTimeout(r, 1_000 + n * 2));
  const t0 = performance.now();
  for (const { p } of procs) {
    try {
      process.kill(-p.pid, 'SIGHUP');
    } catch {
      // gone
    }
  }
  await Promise.all(procs.map((x) => x.exited));
  return performance.now() - t0;
}

async function shutdowns(dir, log) {
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ providers: [{ id: 'bash', display_name: 'bash', kind: 'shell', command: '/bin/bash', args: ['--norc', '--noprofile'], submit_key: '\n', config_schema: {} }] }));
  const rows = [];
  for (const n of SHUTDOWN_COUNTS) {
    const r = await shutdownOf(dir, n, config);
    const floor = await directHangup(n);
    log(`shutdown with ${n} sessions: ${r.ms.toFixed(0)} ms, exit ${r.code}, ${r.saved}/${n} tails saved; node-pty alone hanging up ${n} shells: ${floor.toFixed(0)} ms`);
    rows.push({
      name: `graceful shutdown, ${n} sessions with background jobs`,
      figure: `${fmt(r.ms / 1000, 's')}, exit ${r.code}, ${r.saved}/${n} tails saved`,
      baseline: `${fmt(floor / 1000, 's')} (node-pty alone: SIGHUP ${n} shells, wait for their exits)`,
      ratio: r.ms / floor,
      target: '≤ 10 s, every tail saved',
      met: r.ms <= 10_000 && r.code === 0 && r.saved === n,
    });
  }
  return rows;
}

// ---------------------------------------------------------------- 3. output lost on kill -9

async function outputLoss(dir, log) {
  const config = join(dir, 'config.json');
  const dataDir = join(dir, 'kill');
  const printed = join(dir, 'printed.txt');
  const g = await serveChild(dataDir, config);
  const s = await g.api('/sessions', { provider_id: 'bash', name: 'flood' });
  // Each line goes to the PTY, then to a side file: the side file is what was printed.
  await g.api(`/sessions/${s.id}/input`, { data: `exec 3>>${printed}; while :; do l="T$EPOCHREALTIME"; echo "$l"; echo "$l" >&3; done\n` });
  await new Promise((r) => setTimeout(r, 2_000));
  g.child.kill('SIGKILL');
  await g.exited;
  const killedAt = Date.now();
  await new Promise((r) => setTimeout(r, 300)); // the shell dies with its terminal
  const lines = (await readFile(printed, 'utf8')).split('\n').filter((l) => /^T\d+\.\d+$/.test(l));
  const again = await serveChild(dataDir, config);
  const tail = (await again.api(`/sessions/${s.id}/buffer`)).toString('latin1');
  const cursor = (await again.api(`/sessions/${s.id}`)).bytes_out;
  await again.stop();
  const readable = [...tail.matchAll(/T(\d+\.\d+)\r\n/g)].map((m) => m[1]);
  const lastReadable = readable[readable.length - 1];
  const lostLines = lines.length - 1 - lines.lastIndexOf(`T${lastReadable}`);
  const lastPrinted = Number(lines[lines.length - 1].slice(1)) * 1000;
  const lostMs = Math.max(0, lastPrinted - Number(lastReadable) * 1000);
  const lineBytes = lines[0].length + 2; // the PTY turns \n into \r\n
  log(`kill -9: ${lines.length} lines printed (${lines.length * lineBytes} B), cursor after restart ${cursor} B; ${lostLines} lines (${lostLines * lineBytes} B, ${lostMs.toFixed(1)} ms of output) lost; killed ${killedAt - lastPrinted} ms after the last line`);
  return {
    name: 'output lost on kill -9 (flooding session)',
    figure: `${fmt(lostMs, 'ms')} of output (${lostLines * lineBytes} B)`,
    baseline: `${lines.length * lineBytes} B printed before the kill, ${cursor} B readable after`,
    ratio: lostMs / 1000,
    target: '≤ about 1 s of what the PTY printed',
    met: lostMs <= 1000,
  };
}

// ---------------------------------------------------------------- 4. cost of output files

const FLOOD_MB = Number(process.env.DURABILITY_BENCH_MB ?? 100);

async function catSeconds(g, file) {
  // Read from the session's cwd: a sandboxed session sees its cwd, not the host's /tmp.
  const session = await g.api('/sessions', { provider_id: 'sh', cwd: dirname(file), args: ['-c', `read go; cat ${basename(file)}`] });
  const ws = new WebSocket(g.wsUrl(session.id), { headers: { authorization: `Bearer ${TOKEN_STREAM}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let start = 0;
  let bytes = 0;
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
  // A `cat` that printed an error instead of the file is not a throughput figure.
  if (bytes < FLOOD_MB << 20) throw new Error(`the session printed ${bytes} bytes of a ${FLOOD_MB} MB payload`);
  return seconds;
}

// The stream benchmark's child gateway and its token.
const TOKEN_STREAM = 'bench-admin-token-0123456789';

async function outputCost(dir, log) {
  const file = join(dir, 'flood.txt');
  const line = 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  await writeFile(file, line.repeat(Math.ceil((FLOOD_MB << 20) / line.length)));
  const withFiles = await startChildGateway({ outputDir: join(dir, 'flood-output') });
  const without = await startChildGateway();
  let on = Infinity;
  let off = Infinity;
  try {
    for (let r = 0; r < 3; r++) {
      on = Math.min(on, await catSeconds(withFiles, file));
      off = Math.min(off, await catSeconds(without, file));
    }
  } finally {
    await withFiles.stop();
    await without.stop();
  }
  log(`cat of ${FLOOD_MB} MB over /stream: ${fmt(FLOOD_MB / on, 'MB/s')} with output files, ${fmt(FLOOD_MB / off, 'MB/s')} without`);
  return {
    name: `PTY → /stream throughput with output files (cat of ${FLOOD_MB} MB, best of 3)`,
    figure: fmt(FLOOD_MB / on, 'MB/s'),
    baseline: `${fmt(FLOOD_MB / off, 'MB/s')} (same gateway, no outputDir)`,
    ratio: off / on,
    target: 'no more than a few % slower',
  };
}
