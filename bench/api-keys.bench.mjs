// SPEC §14: key verification with 1 000 integrations registered — cached valid key
// ≤ 20 µs; first use of a key = 1 bcrypt; unknown key = 0 bcrypt; ≥ 1 000× faster than
// the compare-against-all approach (opendray-v2's), measured in the same run on the same data.
//
// The 1 000 integrations are seeded straight into the gateway's store (`gateway.stores`)
// with bcrypt cost 12 hashes: the measured integration gets its own hash, the other 999
// share one precomputed cost-12 hash under their own lookup ids (a bcrypt compare costs the
// same whatever hash it checks). The verifier is the gateway's own module from the build,
// driven directly; the HTTP row goes through the whole pipeline.
//
// The HTTP row compares the same route with the static admin token (no key, no call-log
// row): the difference is key verification plus call-log recording.
//
// The baseline's miss through all 1 000 hashes is extrapolated from SAMPLE sequential
// cost-12 compares (1 000 real ones would take minutes on a shared machine).
import { createGateway } from '@opendray/core';
import { createApiKeyVerifier } from '../packages/core/dist/auth/api-key-verifier.js';
import { bcryptKeyHasher, keyHashStats, mintApiKey } from '../packages/core/dist/integrations/keys.js';
import bcrypt from 'bcrypt';
import { load } from './lib/load.mjs';
import { fmt, median } from './lib/stats.mjs';

const INTEGRATIONS = 1000;
const COST = 12;
const SAMPLE = Number(process.env.KEYS_BENCH_SAMPLE ?? 20);
const CACHED_ROUNDS = 200_000;
const TOKEN = 'bench-admin-token-0123456789';

function record(i, key, hash) {
  return {
    id: `int_bench${String(i).padStart(7, '0')}`,
    name: `bench-${i}`,
    base_url: '',
    route_prefix: '',
    scopes: ['session:read'],
    enabled: true,
    health_status: 'unknown',
    created_at: new Date().toISOString(),
    max_sessions: 10,
    key: { lookup_id: key.lookupId, hash },
  };
}

/** Mean µs per call of `fn` over `rounds` calls, best of `repeats` runs (noise only adds). */
async function microsPerCall(fn, rounds, repeats = 5) {
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / rounds);
  }
  return Math.min(...runs);
}

export default async function ({ log }) {
  const gateway = await createGateway({ bcryptCost: COST, auth: { adminToken: TOKEN } });
  try {
    log(`seeding ${INTEGRATIONS} integrations (bcrypt cost ${COST})…`);
    const measured = mintApiKey();
    const [measuredHash, fillerHash] = await Promise.all([bcrypt.hash(measured.plaintext, COST), bcrypt.hash(mintApiKey().plaintext, COST)]);
    const hashes = [];
    for (let i = 0; i < INTEGRATIONS; i++) {
      const own = i === INTEGRATIONS / 2;
      const hash = own ? measuredHash : fillerHash;
      await gateway.stores.integrations.create(record(i, own ? measured : mintApiKey(), hash));
      hashes.push(hash);
    }

    const clock = { now: () => Date.now() };
    const verifier = createApiKeyVerifier({ store: gateway.stores.integrations, hasher: bcryptKeyHasher(COST), clock });

    // First use: exactly one bcrypt.
    let before = keyHashStats.compares;
    let t0 = performance.now();
    const principal = await verifier.verify(measured.plaintext);
    const firstUseMs = performance.now() - t0;
    const firstUseBcrypt = keyHashStats.compares - before;
    if (!principal) throw new Error('the measured key did not verify');

    // Cached: zero bcrypt, a digest and a memory read.
    before = keyHashStats.compares;
    const cachedUs = await microsPerCall(() => verifier.verify(measured.plaintext), CACHED_ROUNDS);
    const cachedBcrypt = keyHashStats.compares - before;

    // Unknown lookup id: zero bcrypt.
    const unknown = Array.from({ length: 1000 }, () => mintApiKey().plaintext);
    before = keyHashStats.compares;
    let u = 0;
    const unknownUs = await microsPerCall(async () => {
      if (await verifier.verify(unknown[u++ % unknown.length])) throw new Error('unknown key verified');
    }, 100_000);
    const unknownBcrypt = keyHashStats.compares - before;

    // Baseline: compare-against-every-hash. A miss (every invalid key) runs all 1 000.
    log(`baseline: ${SAMPLE} sequential cost-${COST} compares…`);
    const samples = [];
    const miss = mintApiKey().plaintext;
    for (let i = 0; i < SAMPLE; i++) {
      t0 = performance.now();
      await bcrypt.compare(miss, hashes[i * Math.floor(INTEGRATIONS / SAMPLE)]);
      samples.push(performance.now() - t0);
    }
    const compareMs = median(samples);
    const baselineMissMs = compareMs * INTEGRATIONS;
    const baselineHitMs = compareMs * (INTEGRATIONS / 2);

    // Through HTTP: GET /auth/me with the cached key vs the static admin token, one client.
    const { url } = await gateway.listen(0, '127.0.0.1');
    const http = (token) => load({ url: `${url}/api/v1/auth/me`, headers: { authorization: `Bearer ${token}` }, concurrency: 1, durationMs: 1500 });
    await http(TOKEN); // warm both paths (and the gateway's own key cache) first
    await http(measured.plaintext);
    const viaAdmin = await http(TOKEN);
    const viaKey = await http(measured.plaintext);
    if (viaKey.errors || viaAdmin.errors) throw new Error(`HTTP errors: ${viaKey.errors} / ${viaAdmin.errors}`);

    const ratio = (baselineMissMs * 1000) / cachedUs;
    const baseline = `${fmt(baselineMissMs, 'ms')} (compare-against-all miss, ${INTEGRATIONS} × ${fmt(compareMs, 'ms')} median of ${SAMPLE})`;
    return [
      {
        name: `cached valid key, ${INTEGRATIONS} integrations (verifier)`,
        figure: `${fmt(cachedUs, 'µs')} (${cachedBcrypt} bcrypt)`,
        baseline: `${fmt(baselineHitMs, 'ms')} (compare-against-all, average hit)`,
        ratio: (baselineHitMs * 1000) / cachedUs,
        target: '≤ 20 µs',
        met: cachedUs <= 20 && cachedBcrypt === 0,
      },
      {
        name: 'first use of a key',
        figure: `${firstUseBcrypt} bcrypt (${fmt(firstUseMs, 'ms')})`,
        baseline: `${INTEGRATIONS / 2} bcrypt on average (${fmt(baselineHitMs, 'ms')})`,
        ratio: baselineHitMs / firstUseMs,
        target: '= 1 bcrypt',
        met: firstUseBcrypt === 1,
      },
      {
        name: 'unknown key rejected',
        figure: `${unknownBcrypt} bcrypt (${fmt(unknownUs, 'µs')})`,
        baseline: `${INTEGRATIONS} bcrypt (${fmt(baselineMissMs, 'ms')})`,
        ratio: (baselineMissMs * 1000) / unknownUs,
        target: '= 0 bcrypt',
        met: unknownBcrypt === 0,
      },
      {
        name: 'cached key vs compare-against-all',
        figure: fmt(cachedUs, 'µs'),
        baseline,
        ratio,
        target: '≥ 1 000×',
        met: ratio >= 1000,
      },
      {
        name: 'HTTP GET /auth/me, cached key (p50)',
        figure: `${fmt(viaKey.p50 * 1000, 'µs')} (${Math.round(viaKey.rps)} req/s)`,
        baseline: `${fmt(viaAdmin.p50 * 1000, 'µs')} static admin token, same route`,
        ratio: viaKey.p50 / viaAdmin.p50,
        target: 'informational (≈ 1×)',
      },
    ];
  } finally {
    await gateway.close();
  }
}
