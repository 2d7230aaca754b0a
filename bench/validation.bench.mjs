// Issue #12: compiled validation (TypeBox schemas + Ajv, one declaration per endpoint) must
// not cost more than the hand validators it replaced. Same run, same machine:
//
// - HTTP: `GET /auth/me` and `POST /sessions/{id}/input {"data":…}` throughput of this tree
//   against the commit before the change (9af4848, built in a temp dir by lib/old-commit.mjs),
//   each gateway in its own process with a real shell session that swallows input, rounds
//   alternating so drift hits both; a bare node server answering JSON is the ceiling.
// - The validators alone: this tree's `parseInput` (schema check + key mapping) against the
//   old hand-written `parseInput`, and the compiled RegisterIntegrationRequest against the
//   old `parseRegister`, per call.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { load } from './lib/load.mjs';
import { buildOldCommit } from './lib/old-commit.mjs';
import { bareJsonServer, spawnUntil } from './lib/processes.mjs';
import { fmt, median } from './lib/stats.mjs';

const OLD_COMMIT = process.env.VALIDATION_BENCH_OLD ?? '9af4848';
const TOKEN = 'bench-admin-token-0123456789';
const ROUNDS = 9;
const DURATION_MS = 1000;
const CONCURRENCY = 4;
const CALLS = 200_000;
const here = new URL('.', import.meta.url);
const newCore = new URL('../packages/core/dist/', here);

const startGateway = (coreDist) =>
  spawnUntil([new URL('lib/gateway-child.mjs', here).pathname, new URL('index.js', coreDist).href, TOKEN], /ready (\S+ \S+)/);

/** ns per call, best of 5 runs of `rounds` calls. */
function nsPerCall(fn, rounds) {
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fn(i);
    runs.push(Number(process.hrtime.bigint() - start) / rounds);
  }
  return Math.min(...runs);
}

export default async function ({ log }) {
  const oldRoot = await buildOldCommit(OLD_COMMIT, log);
  if (!oldRoot) log(`commit ${OLD_COMMIT} not available: comparing with the bare node server only`);
  const oldCore = oldRoot ? pathToFileURL(join(oldRoot, 'packages/core/dist/')) : null;
  const rows = [];

  // ── the validators alone ──
  const { parseInput } = await import(new URL('sessions/input.js', newCore).href);
  const { compile } = await import(new URL('validation/ajv.js', newCore).href);
  const { RegisterIntegrationRequest } = await import('@opendray/sdk/wire');
  const register = compile(RegisterIntegrationRequest, 'bench');
  const inputs = [{ data: 'echo hello\n' }, { text: 'hello world' }, { keys: ['Up', 'Enter', 'C-c'] }];
  const registration = { name: 'bench-bot', base_url: 'http://127.0.0.1:9000', route_prefix: 'bench-bot', scopes: ['session:read', 'event:subscribe:session.*'], max_sessions: 3 };
  if (oldCore) {
    const old = await import(new URL('sessions/input.js', oldCore).href);
    const oldValidate = await import(new URL('integrations/validate.js', oldCore).href);
    // Interleaved, best of each: noise only adds.
    const fresh = { input: Infinity, register: Infinity };
    const before = { input: Infinity, register: Infinity };
    for (let r = 0; r < 5; r++) {
      before.input = Math.min(before.input, nsPerCall((i) => old.parseInput(inputs[i % 3]), CALLS));
      fresh.input = Math.min(fresh.input, nsPerCall((i) => parseInput(inputs[i % 3]), CALLS));
      before.register = Math.min(before.register, nsPerCall(() => oldValidate.parseRegister(registration), CALLS));
      fresh.register = Math.min(fresh.register, nsPerCall(() => register.check(registration), CALLS));
    }
    for (const [key, label] of [['input', 'validate POST /input body'], ['register', 'validate POST /integrations body']]) {
      const ratio = before[key] / fresh[key];
      rows.push({ name: `${label} (per call)`, figure: fmt(fresh[key], 'ns'), baseline: `${fmt(before[key], 'ns')} (hand validator, ${OLD_COMMIT})`, ratio, target: 'not slower than the hand validator (≥ 1×)', met: ratio >= 0.9 });
    }
  }

  // ── HTTP throughput ──
  const servers = { fresh: await startGateway(newCore), ...(oldCore ? { old: await startGateway(oldCore) } : {}), bare: await bareJsonServer({ kind: 'admin', id: 'admin', username: 'admin' }) };
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const runs = { fresh: { me: [], input: [] }, old: { me: [], input: [] }, bare: { me: [] } };
    const target = (name) => servers[name].match.split(' ');
    const me = (name) => load({ url: name === 'bare' ? `${servers.bare.match}/` : `${target(name)[0]}/api/v1/auth/me`, headers: auth, concurrency: CONCURRENCY, durationMs: DURATION_MS });
    const input = (name) => {
      const [url, id] = target(name);
      return load({ url: `${url}/api/v1/sessions/${id}/input`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"data":"x"}', concurrency: CONCURRENCY, durationMs: DURATION_MS });
    };
    const names = Object.keys(servers).filter((n) => n !== 'bare');
    for (const n of names) {
      await me(n); // warm-up
      await input(n);
    }
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so a trend in the machine's load hits both alike.
      const order = r % 2 ? [...names].reverse() : names;
      for (const n of order) runs[n].me.push((await me(n)).rps);
      runs.bare.me.push((await me('bare')).rps);
      for (const n of order) {
        const res = await input(n);
        if (res.errors) throw new Error(`${n}: ${res.errors} failed input requests`);
        runs[n].input.push(res.rps);
      }
      log(`round ${r + 1}: /auth/me ${names.map((n) => `${n} ${fmt(runs[n].me.at(-1), '')}`).join(', ')} req/s; /input ${names.map((n) => `${n} ${fmt(runs[n].input.at(-1), '')}`).join(', ')} req/s`);
    }
    for (const [key, label] of [['me', 'GET /auth/me'], ['input', 'POST /sessions/{id}/input']]) {
      const now = median(runs.fresh[key]);
      if (runs.old[key].length) {
        const before = median(runs.old[key]);
        const ratio = now / before;
        rows.push({ name: `${label} throughput (c=${CONCURRENCY})`, figure: fmt(now, 'req/s'), baseline: `${fmt(before, 'req/s')} (${OLD_COMMIT})`, ratio, target: 'compiled validation costs no more (≥ 0.95× the old commit)', met: ratio >= 0.95 });
      }
      if (key === 'me') {
        const bare = median(runs.bare.me);
        rows.push({ name: `${label} vs bare node (c=${CONCURRENCY})`, figure: fmt(now, 'req/s'), baseline: `${fmt(bare, 'req/s')} (bare node JSON)`, ratio: now / bare, target: '(reference)' });
      }
    }
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
  return rows;
}
