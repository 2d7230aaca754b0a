import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSecretFile } from '@opendray/sdk/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken } from '../src/http/request-meta.js';
import { createKeyedQueue, createSerialQueue } from '../src/serial-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('one serial queue', () => {
  it('runs tasks one after another, in order, and a failure never blocks the next', async () => {
    const q = createSerialQueue();
    const log: string[] = [];
    let inside = 0;
    const task = (name: string, fail = false) => async () => {
      inside++;
      expect(inside).toBe(1);
      await tick();
      log.push(name);
      inside--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([q.run(task('a')), q.run(task('b', true)), q.run(task('c'))]);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('keyed: one key in order, different keys concurrently, and idle keys are forgotten', async () => {
    const q = createKeyedQueue();
    const running = new Set<string>();
    let overlap = false;
    let concurrentKeys = 0;
    const task = (key: string) => async () => {
      if (running.has(key)) overlap = true;
      running.add(key);
      concurrentKeys = Math.max(concurrentKeys, running.size);
      await tick();
      running.delete(key);
    };
    const all = Array.from({ length: 30 }, (_, i) => q.run(`k${i % 3}`, task(`k${i % 3}`)));
    expect(q.size).toBe(3);
    await Promise.all(all);
    await q.idle();
    await tick();
    expect(overlap).toBe(false);
    expect(concurrentKeys).toBe(3);
    expect(q.size).toBe(0);
  });
});

describe('one writeSecretFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opendray-secret-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes 0600 in a 0700 directory it creates, replaces atomically and leaves no temp file', async () => {
    const path = join(dir, 'nested', 'key.json');
    await writeSecretFile(path, 'one');
    await writeSecretFile(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'nested'))).toEqual(['key.json']);
  });

  it('replaces a symlink at the path instead of writing through it', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'untouched');
    const path = join(dir, 'link.json');
    await symlink(victim, path);
    await writeSecretFile(path, 'secret');
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(path)).isSymbolicLink()).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('secret');
  });
});

describe('one bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer  abc  ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
