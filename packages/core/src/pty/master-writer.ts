import { write } from 'node:fs';

/**
 * The write side of a PTY master, replacing node-pty's `CustomWriteStream` (1.1), which
 * keeps retrying queued writes by descriptor number after the master was closed and logs
 * the failure to `console.error`. A descriptor number is reused at once by the next open:
 * after a session ends, its retried input could land in another session's master (issue
 * #11). Here writes stop the moment the master is closed, an EAGAIN retry never outlives
 * it, and the close waits for a write already handed to the thread pool before the
 * descriptor may be released.
 */
export interface MasterWriter {
  /** Queues bytes for the master; ignored once closed. */
  write(data: string | Buffer): void;
  /** Part of node-pty's write-stream contract (called when the terminal is destroyed). */
  dispose(): void;
  /** Stops all writing; `then` runs once no write is in flight (at once when none is). */
  close(then?: () => void): void;
}

export function createMasterWriter(fd: number): MasterWriter {
  const queue: Array<{ buffer: Buffer; offset: number }> = [];
  let closed = false;
  let inFlight = false;
  let retry: NodeJS.Immediate | undefined;
  const afterFlight: Array<() => void> = [];

  const settle = (): void => {
    for (const fn of afterFlight.splice(0)) fn();
  };

  const pump = (): void => {
    retry = undefined;
    if (closed || inFlight || queue.length === 0) return;
    const task = queue[0]!;
    inFlight = true;
    write(fd, task.buffer, task.offset, task.buffer.length - task.offset, null, (err, written) => {
      inFlight = false;
      if (closed) return settle();
      if (err) {
        // EAGAIN: the kernel buffer is full, try again on the next turn. Anything else
        // (EIO: the child side is gone) ends writing for good; the exit follows.
        if (err.code === 'EAGAIN') retry = setImmediate(pump);
        else queue.length = 0;
        return;
      }
      task.offset += written;
      if (task.offset >= task.buffer.length) queue.shift();
      pump();
    });
  };

  return {
    write(data) {
      if (closed) return;
      const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
      if (buffer.length === 0) return;
      queue.push({ buffer, offset: 0 });
      if (queue.length === 1) pump();
    },
    dispose() {
      if (retry) clearImmediate(retry);
      retry = undefined;
    },
    close(then) {
      closed = true;
      queue.length = 0;
      if (retry) clearImmediate(retry);
      retry = undefined;
      if (!then) return;
      if (inFlight) afterFlight.push(then);
      else then();
    },
  };
}
