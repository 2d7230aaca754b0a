#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): this file loads synchronously, before anything
// has used libuv's thread pool, which is sized once, at its first use. bcrypt, SQLite,
// fs and DNS share that pool; 8 threads (not libuv's 4) unless the operator set
// UV_THREADPOOL_SIZE (docs/abuse-resistance.md). An ES module entry would be too late:
// loading it reads files through the pool.
'use strict';
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
import('../dist/main.js').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv);
  },
  (err) => {
    process.stderr.write(`opendray: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
