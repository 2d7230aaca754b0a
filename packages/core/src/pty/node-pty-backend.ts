import { readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { closeFdsShimAvailable, withOnlyStdio } from './close-fds.js';
import type { PtyBackend, PtyProcess } from './types.js';

const require = createRequire(import.meta.url);

/**
 * node-pty as the default PTY backend; loaded on first spawn so embedders that inject one
 * never load it. On Linux each child starts through a shim that closes every inherited
 * descriptor above 2 (node-pty leaks PTY masters into later children; SPEC §15).
 */
export function createNodePtyBackend(): PtyBackend {
  let nodePty: typeof import('node-pty') | undefined;
  const shim = closeFdsShimAvailable();
  return {
    spawn(command, commandArgs, options) {
      nodePty ??= require('node-pty') as typeof import('node-pty');
      const { file, args } = shim ? withOnlyStdio(command, commandArgs) : { file: command, args: commandArgs };
      // node-pty's typings predate `encoding: null`, which yields Buffers instead of strings.
      const pty = nodePty.spawn(file, args, options as unknown as import('node-pty').IPtyForkOptions) as unknown as PtyProcess;
      return withTailDrain(pty);
    },
  };
}

const READ_BYTES = 65_536;
/** At most this many reads when the master ends (64 MiB): the kernel holds far less. */
const DRAIN_MAX_READS = 1024;

/**
 * node-pty loses the last output of a process that exits right after printing: libuv
 * takes a hang-up after a short read for end-of-file (a PTY read returns at most ~4 KiB),
 * although the kernel still holds bytes for the master. When the master reports its end,
 * the rest is read from its descriptor — still open then, non-blocking, and on the one JS
 * thread, so order is kept — and delivered before node-pty reports the exit (SPEC §5.7:
 * `session.ended` follows the last byte). Reading ahead like this after every event was
 * measured no faster, so only the end does it.
 */
function withTailDrain(pty: PtyProcess): PtyProcess {
  const internals = pty as unknown as { _socket?: NodeJS.EventEmitter; _fd?: number };
  const socket = internals._socket;
  const fd = internals._fd;
  if (!socket || typeof fd !== 'number') return pty;
  const listeners = new Set<(data: Buffer) => void>();
  let ended = false;

  /** Reads up to `max` times into `parts`, until nothing is waiting. */
  const readMore = (max: number, parts: Buffer[]): void => {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (let i = 0; i < max; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN: nothing waiting; EIO: the other side is gone
      }
      if (n <= 0) return;
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
  };
  const emit = (parts: Buffer[]): void => {
    if (parts.length === 0) return;
    const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    for (const listener of listeners) listener(chunk);
  };

  pty.onData((data) => {
    if (ended) return;
    emit([typeof data === 'string' ? Buffer.from(data) : data]);
  });
  socket.prependListener('end', () => {
    const parts: Buffer[] = [];
    readMore(DRAIN_MAX_READS, parts);
    emit(parts);
    ended = true;
  });

  return {
    get pid() {
      return pty.pid;
    },
    get cols() {
      return pty.cols;
    },
    get rows() {
      return pty.rows;
    },
    onData(listener) {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
    onExit: (listener) => pty.onExit(listener),
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    kill: (signal) => pty.kill(signal),
    pause: () => pty.pause(),
    resume: () => pty.resume(),
  };
}
