import { createHash } from 'node:crypto';
import { realpath, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** The exclusive hold of one data dir by one `opendray serve` (released at exit). */
export interface DataDirLock {
  release(): Promise<void>;
}

/** Thrown when another process holds the lock; `pid` is null when it could not say. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
  ) {
    super(`data dir ${dataDir} is in use by another opendray serve${pid ? ` (PID ${pid})` : ''}`);
    this.name = 'DataDirBusyError';
  }
}

const PID_FILE = 'opendray.pid';

/**
 * Takes the data dir for this process: two gateways on one store would diverge (each
 * caches records in memory). On Linux the lock is an abstract Unix socket named after the
 * dir's real path — the kernel releases it when the process dies, so a crash never
 * leaves a stale lock, and binding is atomic, so two racing starts cannot both win. The
 * holder answers a connect with its PID, which the refused start names. Elsewhere a
 * PID file created exclusively stands in (a stale one, whose PID is gone, is taken over).
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const real = await realpath(dataDir);
  const pidFile = join(real, PID_FILE);
  if (process.platform !== 'linux') return lockWithPidFile(real, pidFile);
  const name = `\0opendray-${createHash('sha256').update(real).digest('hex').slice(0, 32)}`;
  const server = createServer((socket) => socket.end(`${process.pid}\n`));
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: name }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new DataDirBusyError(real, await askHolder(name));
    throw err;
  });
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
  return { release: () => closeAndForget(server, pidFile) };
}

function askHolder(name: string): Promise<number | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect({ path: name });
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('close', () => {
      const pid = Number(text.trim());
      resolve(Number.isSafeInteger(pid) && pid > 0 ? pid : null);
    });
    socket.on('error', () => undefined);
  });
}

async function closeAndForget(server: Server, pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function lockWithPidFile(dataDir: string, pidFile: string): Promise<DataDirLock> {
  const { readFile } = await import('node:fs/promises');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(pidFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => rm(pidFile, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) throw new DataDirBusyError(dataDir, pid);
      await rm(pidFile, { force: true });
    }
  }
  throw new DataDirBusyError(dataDir, null);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
