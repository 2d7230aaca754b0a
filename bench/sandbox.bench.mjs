// SPEC §15 vs §14: what the session sandbox costs. Session create p50, create until the
// first output byte (which includes bwrap setting up namespaces and mounts: POST /sessions
// answers once the PTY child is forked) and keystroke echo p99 over `/stream`, each with
// the bubblewrap sandbox on and, in the same run, off (the baseline). Both gateways run at
// once and the samples alternate between them, so machine noise hits both alike. The
// sandbox may cost a few ms at start and nothing on the keystroke path (bytes flow through
// the same PTY; bwrap only waits for its child).
import WebSocket from 'ws';
import { fmt, percentile } from './lib/stats.mjs';
import { echoLatencies, startChildGateway } from './stream.bench.mjs';

const CREATES = Number(process.env.SANDBOX_BENCH_CREATES ?? 60);
const TOKEN = 'bench-admin-token-0123456789';

function openWs(url) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** One create: ms until POST /sessions answered, and until the session's first output arrived on /stream. */
async function createOnce(g, i) {
  const start = performance.now();
  const s = await g.api('/sessions', { provider_id: 'sh', name: `bench-${i}`, args: ['-c', 'echo R; exec sleep 60'] });
  const created = performance.now() - start;
  // The stream replays the ring first, so output printed before the socket opened still
  // arrives; the listener is there before the upgrade, which can carry the first frame.
  const ws = new WebSocket(g.wsUrl(s.id), { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.on('message', (d, bin) => bin && d.includes(82) && resolve());
    ws.once('error', reject);
  });
  const firstOutput = performance.now() - start;
  ws.close();
  await g.api(`/sessions/${s.id}/stop`, {});
  return { created, firstOutput };
}

async function echoOf(g) {
  const session = await g.api('/sessions', { provider_id: 'sh', args: ['-c', 'stty raw -echo; cat'] });
  const ws = await openWs(g.wsUrl(session.id));
  await new Promise((r) => setTimeout(r, 200));
  const samples = await echoLatencies((b) => ws.send(b, { binary: true }), (fn) => ws.on('message', (d, bin) => bin && fn(d)));
  ws.close();
  return samples;
}

export default async function ({ log }) {
  const gateways = { off: await startChildGateway({ sandbox: 'off' }), on: await startChildGateway({ sandbox: 'bwrap' }) };
  const samples = { off: { created: [], firstOutput: [], echo: [] }, on: { created: [], firstOutput: [], echo: [] } };
  try {
    for (let i = 0; i < CREATES; i++) {
      for (const mode of i % 2 ? ['on', 'off'] : ['off', 'on']) {
        const r = await createOnce(gateways[mode], i);
        samples[mode].created.push(r.created);
        samples[mode].firstOutput.push(r.firstOutput);
      }
    }
    for (const mode of ['off', 'on', 'off', 'on']) samples[mode].echo.push(...(await echoOf(gateways[mode])));
  } finally {
    await Promise.all([gateways.off.stop(), gateways.on.stop()]);
  }
  const p = (mode, what, q) => percentile(samples[mode][what], q);
  log(`first output p50 off ${fmt(p('off', 'firstOutput', 50), 'ms')}, bwrap ${fmt(p('on', 'firstOutput', 50), 'ms')}`);
  return [
    {
      name: 'session create p50 (p99), sandbox on',
      figure: `${fmt(p('on', 'created', 50), 'ms')} (${fmt(p('on', 'created', 99), 'ms')})`,
      baseline: `${fmt(p('off', 'created', 50), 'ms')} (${fmt(p('off', 'created', 99), 'ms')}) sandbox off`,
      ratio: p('on', 'created', 50) / p('off', 'created', 50),
      target: 'p50 ≤ 50 ms',
      met: p('on', 'created', 50) <= 50,
    },
    {
      name: 'session create → first output p50 (p99), sandbox on',
      figure: `${fmt(p('on', 'firstOutput', 50), 'ms')} (${fmt(p('on', 'firstOutput', 99), 'ms')})`,
      baseline: `${fmt(p('off', 'firstOutput', 50), 'ms')} (${fmt(p('off', 'firstOutput', 99), 'ms')}) sandbox off`,
      ratio: p('on', 'firstOutput', 50) / p('off', 'firstOutput', 50),
      target: 'informational: a few ms for bwrap',
    },
    {
      name: 'keystroke echo p50 / p99, sandbox on',
      figure: `${fmt(p('on', 'echo', 50), 'ms')} / ${fmt(p('on', 'echo', 99), 'ms')}`,
      baseline: `${fmt(p('off', 'echo', 50), 'ms')} / ${fmt(p('off', 'echo', 99), 'ms')} sandbox off`,
      ratio: p('on', 'echo', 99) / p('off', 'echo', 99),
      target: 'p99 ≤ 5 ms; ≈ 1× off',
      met: p('on', 'echo', 99) <= 5,
    },
  ];
}
