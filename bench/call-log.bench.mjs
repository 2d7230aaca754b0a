// Issue 3 / SPEC §10: `GET /integrations/_calls?limit=50` with 100 000 rows stored (the
// default retention). No SPEC §14 row; the target below is ours. Baseline in the same run:
// a bare Node HTTP server (child process, lib/processes.mjs) answering the same JSON page.
//
// The gateway runs in a child process too (this file with `--call-log-child`) so the load
// generator does not share its event loop. Rows are seeded through the gateway's own
// call-log store (`gateway.stores.callLog.append`), 1 000 per batch. Two more rows: a
// filter by a rare integration (served from the per-integration row index) and the worst
// case, a filter no row matches (`status_class=3`: the page scans all 100 000 rows).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { load } from './lib/load.mjs';
import { bareJsonServer } from './lib/processes.mjs';
import { fmt } from './lib/stats.mjs';

const TOKEN = 'bench-admin-token-0123456789';
const ROWS = 100_000;
const RARE = 'int_rarerarerare';

async function child() {
  const { createGateway } = await import('@opendray/core');
  const gateway = await createGateway({ auth: { adminToken: TOKEN }, bcryptCost: 4 });
  const start = Date.now() - ROWS * 10;
  for (let b = 0; b < ROWS / 1000; b++) {
    const batch = [];
    for (let i = b * 1000; i < (b + 1) * 1000; i++) {
      batch.push({
        id: `call_${String(i).padStart(12, '0')}`,
        ts: new Date(start + i * 10).toISOString(),
        integration_id: i % 10_000 === 0 ? RARE : `int_bench${String(i % 1000).padStart(7, '0')}`,
        direction: i % 7 === 0 ? 'outbound' : 'inbound',
        method: 'POST',
        route: '/sessions/{id}/input',
        path: `/sessions/ses_${String(i).padStart(12, '0')}/input`,
        status_code: i % 50 === 0 ? 404 : 204,
        duration_ms: 1 + (i % 9),
        bytes_in: 42,
        bytes_out: 0,
        request_id: `req_${i}`,
        remote_addr: '127.0.0.1',
      });
    }
    await gateway.stores.callLog.append(batch);
  }
  const { port } = await gateway.listen(0, '127.0.0.1');
  process.send({ port });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await gateway.close();
      process.exit(0);
    }
  });
}

export default async function ({ log }) {
  log(`seeding ${ROWS} call-log rows in the gateway child…`);
  const proc = fork(fileURLToPath(import.meta.url), ['--call-log-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`gateway child exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/api/v1/integrations/_calls?limit=50`;
  const rareUrl = `http://127.0.0.1:${port}/api/v1/integrations/_calls?limit=50&integration_id=${RARE}`;
  const noneUrl = `http://127.0.0.1:${port}/api/v1/integrations/_calls?limit=50&status_class=3`;
  const headers = { authorization: `Bearer ${TOKEN}` };
  const page = await (await fetch(url, { headers })).json();
  if (page.entries?.length !== 50) throw new Error(`unexpected page: ${JSON.stringify(page).slice(0, 200)}`);
  const rarePage = await (await fetch(rareUrl, { headers })).json();
  const bare = await bareJsonServer(page);
  try {
    const run = (u, h = {}) => load({ url: u, headers: h, concurrency: 1, durationMs: 2000 });
    await run(url, headers);
    await run(bare.match);
    const ours = await run(url, headers);
    const base = await run(bare.match);
    const rare = await run(rareUrl, headers);
    const none = await run(noneUrl, headers);
    if (ours.errors || base.errors || rare.errors || none.errors) throw new Error('HTTP errors');
    return [
      {
        name: `GET /_calls?limit=50, ${ROWS} rows (p50)`,
        figure: `${fmt(ours.p50, 'ms')} (p99 ${fmt(ours.p99, 'ms')})`,
        baseline: `${fmt(base.p50, 'ms')} bare http server, same JSON (p99 ${fmt(base.p99, 'ms')})`,
        ratio: ours.p50 / base.p50,
        target: 'p50 ≤ 5 ms (ours)',
        met: ours.p50 <= 5,
      },
      {
        name: `GET /_calls?integration_id= (${rarePage.entries.length} of ${ROWS} rows, p50)`,
        figure: `${fmt(rare.p50, 'ms')} (p99 ${fmt(rare.p99, 'ms')})`,
        baseline: `${fmt(base.p50, 'ms')} bare http server`,
        ratio: rare.p50 / base.p50,
        target: 'p50 ≤ 5 ms (ours)',
        met: rare.p50 <= 5,
      },
      {
        name: `GET /_calls?status_class=3 (0 of ${ROWS}: full scan, p50)`,
        figure: `${fmt(none.p50, 'ms')} (p99 ${fmt(none.p99, 'ms')})`,
        baseline: `${fmt(base.p50, 'ms')} bare http server`,
        ratio: none.p50 / base.p50,
        target: 'p50 ≤ 20 ms (ours)',
        met: none.p50 <= 20,
      },
    ];
  } finally {
    await bare.stop();
    proc.send('stop');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  }
}

if (process.argv.includes('--call-log-child')) await child();
