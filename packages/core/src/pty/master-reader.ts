import { readSync } from 'node:fs';
import { createMasterWriter, type MasterWriter } from './master-writer.js';
import type { PtyProcess } from './types.js';

/** Bytes read from the master per readable event at most, so a flood never starves the event loop. */
const DRAIN_BYTES = 256 * 1024;
/** At most this many reads when the master ends (64 MiB): the kernel holds far less. */
const TAIL_MAX_READS = 1024;
const TAIL_READ_BYTES = 65_536;
/** node-pty's own wait for the master to end after the child exited, re-armed after a resume. */
const DESTROY_FALLBACK_MS = 200;

export interface MasterReaderOptions {
  /**
   * Read the master until it is empty on each readable event (one chunk per wake-up instead
   * of one per ~4 KiB kernel read). bench/pty-readers.bench.mjs measures both. @default true
   */
  drain?: boolean;
}

/** The parts of node-pty's UnixTerminal this reader works with. */
interface NodePtyInternals {
  _socket?: NodeJS.EventEmitter & { destroy(err?: Error): unknown; pause(): unknown; resume(): unknown };
  _fd?: number;
  _writeStream?: { write(data: string | Buffer): void; dispose?(): void } | MasterWriter;
}

/**
 * How the gateway reads a node-pty master:
 * - **Drain per wake-up**: each readable event reads the master until EAGAIN (up to 256 KiB),
 *   so a flood costs one event-loop callback per batch, not per ~4 KiB kernel read.
 * - **The tail is never lost**: libuv takes a hang-up after a short read for end-of-file
 *   although the kernel still holds bytes for the master; when the master reports its end the
 *   rest is read from the descriptor (still open then, non-blocking, on the one JS thread, so
 *   order is kept) before node-pty reports the exit (SPEC §5.7: `session.ended` follows the
 *   last byte).
 * - **Pause is lossless** (SPEC §5.5 flow control): node-pty destroys the master 200 ms after
 *   the child exits even when reading is paused, dropping what the kernel still holds. While
 *   paused, that destroy waits; after the resume the master is read to its end first.
 * - **No write outlives the master**: node-pty queues writes the kernel cannot take yet
 *   (EAGAIN) and retries them by descriptor number, also after the master was closed — when
 *   that number may already belong to another session's master. Its write stream is
 *   replaced by one (master-writer.ts) that stops the moment the master ends, errs or is
 *   destroyed, and the descriptor is closed only once no write is in flight.
 * Reads happen only inside the stream's own 'data' and 'end' events, when the descriptor
 * is known to be open.
 */
export function withMasterReader(pty: PtyProcess, { drain = true }: MasterReaderOptions = {}): PtyProcess {
  const internals = pty as unknown as NodePtyInternals;
  const socket = internals._socket;
  const fd = internals._fd;
  if (!socket || typeof fd !== 'number') return pty;
  const listeners = new Set<(data: Buffer) => void>();
  let ended = false;
  let paused = false;
  let destroyWaiting = false;
  const scratch = drain ? Buffer.allocUnsafe(DRAIN_BYTES) : null;

  const emit = (chunk: Buffer): void => {
    for (const listener of listeners) listener(chunk);
  };

  /** Reads what is waiting into `scratch`, up to its size; returns the bytes read. */
  const drainInto = (buf: Buffer): number => {
    let filled = 0;
    while (filled < buf.length) {
      let n: number;
      try {
        n = readSync(fd, buf, filled, buf.length - filled, null);
      } catch {
        break; // EAGAIN: nothing waiting; EIO: the other side is gone
      }
      if (n <= 0) break;
      filled += n;
    }
    return filled;
  };

  // node-pty's writes go through our writer, which never outlives the master (master-writer.ts).
  internals._writeStream?.dispose?.();
  const writer = createMasterWriter(fd);
  internals._writeStream = writer;
  let closed = false;
  const dropWrites = (): void => {
    closed = true;
    writer.close();
  };
  socket.prependListener('error', dropWrites);
  socket.prependListener('close', dropWrites);

  pty.onData((data) => {
    if (ended) return;
    const first = typeof data === 'string' ? Buffer.from(data) : data;
    const extra = scratch && !paused ? drainInto(scratch) : 0;
    emit(extra === 0 ? first : Buffer.concat([first, scratch!.subarray(0, extra)], first.length + extra));
  });

  socket.prependListener('end', () => {
    const parts: Buffer[] = [];
    const buf = Buffer.allocUnsafe(TAIL_READ_BYTES);
    for (let i = 0; i < TAIL_MAX_READS; i++) {
      const n = drainInto(buf);
      if (n === 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
    if (parts.length > 0) emit(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    ended = true;
    dropWrites();
  });

  const destroy = socket.destroy.bind(socket);
  socket.destroy = (err?: Error) => {
    if (!paused) {
      // The descriptor is released only once no write to it is in flight: its number may be
      // reused by the next session's master at once.
      closed = true;
      writer.close(() => destroy(err));
      return socket;
    }
    destroyWaiting = true;
    return socket;
  };

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
    write: (data) => {
      if (!closed) pty.write(data);
    },
    resize: (cols, rows) => pty.resize(cols, rows),
    kill: (signal) => pty.kill(signal),
    pause() {
      paused = true;
      pty.pause();
    },
    resume() {
      paused = false;
      pty.resume();
      if (!destroyWaiting) return;
      // The child exited while paused: read to the end now, with node-pty's fallback behind it.
      destroyWaiting = false;
      setTimeout(() => socket.destroy(), DESTROY_FALLBACK_MS).unref();
    },
  };
}
