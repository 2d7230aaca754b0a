// SPEC §14: `opendray serve` start to listening (≤ 1 s), and authenticated request
// throughput of the gateway's pipeline against a bare Node server answering the same JSON.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from './lib/load.mjs';
import { CLI, bareJsonServer, spawnUntil } from './lib/processes.mjs';
import { fmt, median } from './lib/stats.mjs';

const READY = /listening on (http:\/\/\S+)/;
const TOKEN = 'bench-admin-token-0123456789';

export default async function ({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-'));
  const env = { OPENDRAY_ADMIN_TOKEN: TOKEN, OPENDRAY_LOG_LEVEL: 'error' };
  const rows = [];
  try {
    // The first start creates the admin key file (one bcrypt at cost 12); time the later ones.
    await (await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', dir], READY, env)).stop();
    const starts = [];
    const bare = [];
    for (let i = 0; i < 5; i++) {
      let t0 = performance.now();
      const s = await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', dir], READY, env);
      starts.push(performance.now() - t0);
      await s.stop();
      t0 = performance.now();
      const b = await bareJsonServer({});
      bare.push(performance.now() - t0);
      await b.stop();
    }
    const startMs = median(starts);
    const bareMs = median(bare);
    log(`serve start: ${starts.map((s) => s.toFixed(0)).join(', ')} ms; bare node: ${bare.map((s) => s.toFixed(0)).join(', ')} ms`);
    rows.push({
      name: 'opendray serve: start to listening (median of 5)',
      figure: fmt(startMs, 'ms'),
      baseline: `${fmt(bareMs, 'ms')} (bare node http server)`,
      ratio: startMs / bareMs,
      target: '≤ 1 s',
      met: startMs <= 1000,
    });

    const gateway = await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', dir], READY, env);
    const me = { kind: 'admin', id: 'admin', username: 'admin' };
    const baseline = await bareJsonServer(me);
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      await load({ url: `${gateway.match}/api/v1/auth/me`, headers, durationMs: 500 }); // warm-up
      await load({ url: `${baseline.match}/`, durationMs: 500 });
      const g = await load({ url: `${gateway.match}/api/v1/auth/me`, headers, durationMs: 3000 });
      const b = await load({ url: `${baseline.match}/`, headers, durationMs: 3000 });
      if (g.errors) throw new Error(`${g.errors} failed requests to the gateway`);
      rows.push({
        name: 'GET /auth/me (static admin token), 16 clients',
        figure: `${fmt(g.rps, 'req/s')}, p50 ${fmt(g.p50, 'ms')}, p99 ${fmt(g.p99, 'ms')}`,
        baseline: `${fmt(b.rps, 'req/s')}, p99 ${fmt(b.p99, 'ms')} (bare node http, same JSON)`,
        ratio: g.rps / b.rps,
        target: 'informational (pipeline overhead)',
      });
    } finally {
      await gateway.stop();
      await baseline.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
