// Issue #15: a valid integration's `GET /sessions` while 1 000 junk-credential requests
// flood the gateway, next to the same calls without the flood, in the same run. No SPEC
// §14 row; the target is the issue's ("the flood may cost little; today it costs seconds").
//
// The gateway is the real `opendray serve` (SQLite store, bcrypt cost 12, the bin's
// thread-pool size) in a child process, trusting loopback as a proxy so each junk request
// can claim its own client address: no per-address limit stops the flood, only the
// gateway-wide bounds do. The junk is a third each: malformed tokens, well-formed keys with
// an unknown lookup id, and keys with the integration's real lookup id and a wrong secret
// (each one a bcrypt if it is let through). 50 junk requests in flight at once, bounded in
// count. The valid client sends one request at a time with its cached key, and /health
// (a SQLite read on the thread pool bcrypt also uses) is polled every 100 ms meanwhile.
// BENCH_VC=<n> sets the gateway's bcrypt concurrency (OPENDRAY_VERIFICATION_CONCURRENCY).
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI, spawnUntil } from './lib/processes.mjs';
import { fmt, percentile } from './lib/stats.mjs';

const READY = /listening on (http:\/\/\S+)/;
const TOKEN = 'bench-admin-token-0123456789';
const JUNK = 1000;
const JUNK_CONCURRENCY = 50;
const VALID_REQUESTS = 300;
const MAX_VALID_UNDER_FLOOD = 20_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(base, path, { method = 'GET', token, body, forwardedFor } = {}) {
  const url = new URL(path, base);
  return new Promise((resolve) => {
    const start = performance.now();
    const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) };
    if (body) headers['content-type'] = 'application/json';
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: performance.now() - start }));
    });
    req.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - start }));
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const secret43 = () => randomBytes(32).toString('base64url');

/** Sequential calls with the cached key (`count` of them, or until `stop()`); latencies in ms. */
async function validCalls(base, key, count, stop = () => false) {
  const ms = [];
  for (let i = 0; i < count && !stop(); i++) {
    const res = await request(base, '/api/v1/sessions', { token: key, forwardedFor: '192.0.2.10' });
    if (res.status !== 200) throw new Error(`valid call answered ${res.status}: ${res.body}`);
    ms.push(res.ms);
  }
  return ms;
}

export default async function ({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-abuse-'));
  const env = { OPENDRAY_ADMIN_TOKEN: TOKEN, OPENDRAY_LOG_LEVEL: 'error', ...(process.env.BENCH_VC ? { OPENDRAY_VERIFICATION_CONCURRENCY: process.env.BENCH_VC } : {}) };
  const gateway = await spawnUntil([CLI, 'serve', '--port', '0', '--data-dir', dir, '--trust-proxy', 'loopback'], READY, env, 60_000);
  const base = gateway.match;
  try {
    const reg = await request(base, '/api/v1/integrations', { method: 'POST', token: TOKEN, body: { name: 'bench-valid', scopes: ['session:read'] } });
    const key = JSON.parse(reg.body).api_key;
    const lookup = key.slice(0, 21);
    await validCalls(base, key, VALID_REQUESTS); // warm-up; the key is cached from here on

    const quiet = await validCalls(base, key, VALID_REQUESTS);

    const junk = (i) => {
      const kind = i % 3;
      const token = kind === 0 ? `junk-${i}` : kind === 1 ? `odk_live_${secret43()}` : `${lookup}${secret43().slice(0, 31)}`;
      return request(base, '/api/v1/sessions', { token, forwardedFor: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
    };
    const statuses = {};
    let next = 0;
    let floodDone = false;
    const floodStart = performance.now();
    const flood = Promise.all(
      Array.from({ length: JUNK_CONCURRENCY }, async () => {
        while (next < JUNK) {
          const res = await junk(next++);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        }
      }),
    ).then(() => {
      floodDone = true;
      return performance.now() - floodStart;
    });
    // /health (a SQLite read on the thread pool bcrypt also uses) every 100 ms meanwhile.
    const health = (async () => {
      const seen = [];
      while (!floodDone) {
        seen.push(await request(base, '/api/v1/health'));
        await new Promise((r) => setTimeout(r, 100));
      }
      return seen;
    })();
    const underFlood = await validCalls(base, key, MAX_VALID_UNDER_FLOOD, () => floodDone);
    const floodMs = await flood;
    const healthChecks = await health;
    const healthMs = healthChecks.map((h) => h.ms);
    const healthBad = healthChecks.filter((h) => h.status !== 200).length;
    const quietHealth = [];
    for (let i = 0; i < 20; i++) quietHealth.push((await request(base, '/api/v1/health')).ms);
    log(`flood of ${JUNK} junk requests took ${floodMs.toFixed(0)} ms: ${JSON.stringify(statuses)}; /health during it: ${healthChecks.length} checks, ${healthBad} not 200, max ${Math.max(...healthMs).toFixed(1)} ms`);
    log(`valid calls during the flood: ${underFlood.length}`);
    if (underFlood.length < 20) throw new Error(`the flood ended after only ${underFlood.length} valid calls: not a measurement`);

    const p99Quiet = percentile(quiet, 99);
    const p99Flood = percentile(underFlood, 99);
    return [
      {
        name: `valid key GET /sessions p99 under a flood of ${JUNK} junk credentials (${JUNK_CONCURRENCY} in flight)`,
        figure: `${fmt(p99Flood, 'ms')} (p50 ${fmt(percentile(underFlood, 50), 'ms')}, ${underFlood.length} calls)`,
        baseline: `${fmt(p99Quiet, 'ms')} p99 without the flood (p50 ${fmt(percentile(quiet, 50), 'ms')})`,
        ratio: p99Flood / p99Quiet,
        target: 'the flood costs little (issue #15: was seconds); ≤ 100 ms',
        met: p99Flood <= 100,
      },
      {
        name: '/health (SQLite read) during the flood, max',
        figure: `${fmt(Math.max(...healthMs), 'ms')} (p50 ${fmt(percentile(healthMs, 50), 'ms')}, ${healthChecks.length - healthBad}/${healthChecks.length} ok)`,
        baseline: `${fmt(Math.max(...quietHealth), 'ms')} max without the flood; junk answered ${Object.entries(statuses).map(([st, n]) => `${n}×${st}`).join(', ')} in ${fmt(floodMs, 'ms')}`,
        ratio: Math.max(...healthMs) / Math.max(...quietHealth),
        target: 'always 200 ok, < 2 s (was 503 degraded)',
        met: healthBad === 0 && Math.max(...healthMs) < 2000,
      },
    ];
  } finally {
    agent.destroy();
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
