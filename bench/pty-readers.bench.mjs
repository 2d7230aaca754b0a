// Where a Node PTY reader spends its time (issue #18 §3): `cat` of PTY_BENCH_MB (default
// 100) MB through a real PTY, read by
//   - `script -qc 'cat FILE' /dev/null` — the kernel PTY and one C reader: the ceiling;
//   - node-pty as shipped: one libuv read (≤ ~4 KiB, the n_tty buffer) per readable event,
//     each a JS callback, a Buffer and a stream 'data' event;
//   - the gateway's reader (packages/core/src/pty/master-reader.ts): node-pty's event, then
//     the master drained with readSync until EAGAIN (≤ 256 KiB) — one callback per batch;
//   - a worker thread owning the master (its own libuv loop and tty handle, draining the
//     same way) that hands 256 KiB batches to the main thread (transferred, not copied).
// Figures: MB/s (wall, spawn to exit) and the reading process's CPU time per 100 MB, medians
// of PTY_BENCH_RUNS (default 5) interleaved runs. The worker variant forks through node-pty's
// native module (no JS wrapper): an experiment, not something the gateway ships.
import { spawn } from 'node:child_process';
import { readSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fmt, median } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MB = Number(process.env.PTY_BENCH_MB ?? 100);
const RUNS = Number(process.env.PTY_BENCH_RUNS ?? 5);
const nodePty = require('node-pty');
const { withMasterReader } = await import(join(ROOT, 'packages/core/dist/pty/master-reader.js'));

async function makeFile(dir) {
  const path = join(dir, 'payload.txt');
  const line = 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
  const block = Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length))).subarray(0, 1 << 20);
  const payload = Buffer.concat(Array.from({ length: MB }, () => block));
  await writeFile(path, payload);
  // The terminal turns each LF into CR LF (onlcr): what a reader must receive.
  let lines = 0;
  for (let at = payload.indexOf(10); at !== -1; at = payload.indexOf(10, at + 1)) lines++;
  return { path, expected: payload.length + lines };
}

function script(file) {
  return new Promise((res, rej) => {
    const child = spawn('script', ['-qc', `cat ${file}`, '/dev/null'], { stdio: 'ignore' });
    child.once('error', rej);
    child.once('exit', (code) => (code === 0 ? res(0) : rej(new Error(`script exited ${code}`))));
  });
}

/** node-pty, optionally wrapped by the gateway's reader; resolves with the bytes read. */
function viaNodePty(file, wrap) {
  return new Promise((res) => {
    const raw = nodePty.spawn('/bin/sh', ['-c', `cat ${file}`], { cols: 120, rows: 40, encoding: null, env: process.env });
    const p = wrap ? wrap(raw) : raw;
    let n = 0;
    p.onData((d) => (n += d.length));
    p.onExit(() => res(n));
  });
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const tty = require('node:tty');
const { readSync } = require('node:fs');
const BATCH = 256 * 1024;
parentPort.on('message', ({ fd }) => {
  const stream = new tty.ReadStream(fd);
  let parts = [];
  let bytes = 0;
  const scratch = Buffer.allocUnsafe(65536);
  const flush = () => {
    if (bytes === 0) return;
    const out = Buffer.concat(parts, bytes);
    parts = [];
    bytes = 0;
    parentPort.postMessage({ fd, data: out.buffer, offset: out.byteOffset, length: out.length }, [out.buffer]);
  };
  stream.on('data', (chunk) => {
    parts.push(chunk);
    bytes += chunk.length;
    for (;;) {
      let n;
      try { n = readSync(fd, scratch, 0, scratch.length, null); } catch { break; }
      if (n <= 0) break;
      parts.push(Buffer.from(scratch.subarray(0, n)));
      bytes += n;
      if (bytes >= BATCH) flush();
    }
    flush();
  });
  stream.on('error', () => stream.destroy());
  stream.on('close', () => { flush(); parentPort.postMessage({ fd, end: true }); });
});`;

let worker;
const native = (() => {
  const loaded = require('node-pty/lib/utils').loadNativeModule('pty');
  return { fork: loaded.module.fork, helper: resolve(dirname(require.resolve('node-pty/lib/utils')), loaded.dir, 'spawn-helper') };
})();

function viaWorker(file) {
  worker ??= new Worker(WORKER_SOURCE, { eval: true });
  return new Promise((res) => {
    let n = 0;
    let exited = false;
    let ended = false;
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
    const done = () => {
      if (!exited || !ended) return;
      worker.off('message', onMessage);
      res(n);
    };
    const term = native.fork('/bin/sh', ['-c', `cat ${file}`], env, process.cwd(), 120, 40, -1, -1, false, native.helper, () => {
      exited = true;
      done();
    });
    const onMessage = (m) => {
      if (m.fd !== term.fd) return;
      if (m.end) {
        ended = true;
        return done();
      }
      n += m.length;
    };
    worker.on('message', onMessage);
    worker.postMessage({ fd: term.fd });
  });
}

/** Runs `fn` once; MB/s by wall clock and this process's CPU ms, scaled to 100 MB. */
async function measure(size, fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { mbps: size / 1e6 / seconds, cpuPer100MB: ((cpu.user + cpu.system) / 1000) * (100e6 / size), bytes };
}

export default async function ({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'opendray-bench-pty-'));
  const variants = {
    script: (file) => script(file),
    'node-pty as shipped': (file) => viaNodePty(file),
    'gateway reader (drain until EAGAIN)': (file) => viaNodePty(file, (p) => withMasterReader(p, { drain: true })),
    'worker thread, 256 KiB batches': (file) => viaWorker(file),
  };
  const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  let expected = 0;
  try {
    const made = await makeFile(dir);
    const file = made.path;
    expected = made.expected;
    const size = (await stat(file)).size;
    log(`payload: ${MB} MB through the PTY; ${RUNS} interleaved runs`);
    for (let r = 0; r < RUNS; r++) {
      for (const [name, fn] of Object.entries(variants)) results[name].push(await measure(size, () => fn(file)));
      log(`run ${r + 1}: ${Object.entries(results).map(([k, v]) => `${k} ${fmt(v.at(-1).mbps, 'MB/s')}`).join(', ')}`);
    }
  } finally {
    await worker?.terminate();
    await rm(dir, { recursive: true, force: true });
  }
  const mid = (name, key) => median(results[name].map((x) => x[key]));
  const raw = mid('script', 'mbps');
  const stock = mid('node-pty as shipped', 'mbps');
  const stockCpu = mid('node-pty as shipped', 'cpuPer100MB');
  return Object.keys(variants)
    .filter((k) => k !== 'script')
    .map((name) => {
      const short = results[name].filter((x) => x.bytes !== expected).length;
      return {
        name: `PTY reader: ${name} (median of ${RUNS})`,
        figure: `${fmt(mid(name, 'mbps'), 'MB/s')}, ${fmt(mid(name, 'cpuPer100MB'), 'ms')} CPU per 100 MB${short ? `, lost the tail in ${short}/${RUNS} runs` : ''}`,
        baseline: `${fmt(raw, 'MB/s')} script; node-pty ${fmt(stock, 'MB/s')}, ${fmt(stockCpu, 'ms')} CPU`,
        ratio: mid(name, 'mbps') / raw,
        target: 'informational: closer to script is better; less CPU leaves more for the sockets',
      };
    });
}
