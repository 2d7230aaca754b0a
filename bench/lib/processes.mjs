import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/opendray.js', import.meta.url));

/** Spawns `node args…` and resolves once stdout matches `ready` (a RegExp with one capture group). */
export function spawnUntil(args, ready, env = {}, timeoutMs = 20_000) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready: ${out}${err}`));
    }, timeoutMs);
    child.stderr.on('data', (c) => (err += c));
    child.stdout.on('data', (c) => {
      out += c;
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, match: m[1], stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}${err}`));
    });
  });
}

/** A bare Node HTTP server in a child process answering every request with `body` as JSON. */
export function bareJsonServer(body) {
  const script = `
    const json = ${JSON.stringify(JSON.stringify(body))};
    require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    }).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });`;
  return spawnUntil(['-e', script], /listening on (http:\/\/\S+)/);
}
