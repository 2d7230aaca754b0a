// SPEC §14: 200 concurrent idle shell sessions — gateway RSS ≤ 300 MB; create p50 ≤ 50 ms.
//
// The gateway runs in a child process (its RSS is read from /proc/<pid>/status). RSS is
// compared with the same gateway idle before the first session; create latency (POST
// /sessions, one after another, each a real interactive /bin/sh) with a bare node-pty
// spawn of /bin/sh in this process, the floor any gateway pays.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fmt, percentile } from './lib/stats.mjs';
import { startChildGateway } from './stream.bench.mjs';

const require = createRequire(import.meta.url);
const SESSIONS = Number(process.env.SESSIONS_BENCH_COUNT ?? 200);

async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function ({ log }) {
  const g = await startChildGateway();
  const rows = [];
  try {
    await settle(500);
    const idleRss = await rssMb(g.child.pid);
    const latencies = [];
    for (let i = 0; i < SESSIONS; i++) {
      const start = performance.now();
      await g.api('/sessions', { provider_id: 'sh', name: `bench-${i}` });
      latencies.push(performance.now() - start);
    }
    await settle(1500);
    const rss = await rssMb(g.child.pid);
    const list = await g.api('/sessions');
    const live = list.sessions.filter((s) => s.state === 'running' || s.state === 'idle').length;
    log(`${live} live sessions; gateway RSS idle ${fmt(idleRss, 'MB')}, with sessions ${fmt(rss, 'MB')}`);

    const pty = require('node-pty');
    const spawns = [];
    const procs = [];
    for (let i = 0; i < SESSIONS; i++) {
      const start = performance.now();
      procs.push(pty.spawn('/bin/sh', [], { name: 'xterm-256color', cols: 120, rows: 40, encoding: null, env: process.env }));
      spawns.push(performance.now() - start);
    }
    for (const p of procs) p.kill('SIGHUP');

    rows.push({
      name: `gateway RSS, ${SESSIONS} idle shell sessions`,
      figure: fmt(rss, 'MB'),
      baseline: `${fmt(idleRss, 'MB')} idle gateway`,
      ratio: rss / idleRss,
      target: '≤ 300 MB',
      met: rss <= 300 && live === SESSIONS,
    });
    const p50 = percentile(latencies, 50);
    rows.push({
      name: 'session create latency p50 (p99)',
      figure: `${fmt(p50, 'ms')} (${fmt(percentile(latencies, 99), 'ms')})`,
      baseline: `${fmt(percentile(spawns, 50), 'ms')} bare node-pty spawn`,
      ratio: p50 / percentile(spawns, 50),
      target: 'p50 ≤ 50 ms',
      met: p50 <= 50,
    });
  } finally {
    await g.stop();
  }
  return rows;
}
