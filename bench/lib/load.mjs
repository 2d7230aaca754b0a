import http from 'node:http';
import { percentile } from './stats.mjs';

/**
 * Closed-loop HTTP load: `concurrency` keep-alive clients issue requests back to back for
 * `durationMs` (bounded), then report requests/s and latency percentiles in ms. `method` and
 * `body` (a string, sent with its Content-Length) make it a POST load.
 */
export async function load({ url, headers = {}, concurrency = 16, durationMs = 3000, maxRequests = 500_000, method = 'GET', body }) {
  const payload = body === undefined ? undefined : Buffer.from(body);
  const sentHeaders = payload ? { ...headers, 'content-length': String(payload.length) } : headers;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latencies = [];
  let errors = 0;
  let sent = 0;
  const deadline = performance.now() + durationMs;
  const one = () =>
    new Promise((resolve) => {
      const start = performance.now();
      const req = http.request({ agent, method, host: target.hostname, port: target.port, path: target.pathname + target.search, headers: sentHeaders }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode >= 400) errors++;
          latencies.push(performance.now() - start);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && sent < maxRequests) {
        sent++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    requests: latencies.length,
  };
}
