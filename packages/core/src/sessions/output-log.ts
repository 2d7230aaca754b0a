import { closeSync, fdatasync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { describeFailure } from '../stores/keyv/writer.js';
import { listSegments, readTail, segmentName, segmentStartsSync } from './output-files.js';

/**
 * Per-session output on disk (SPEC §5.4, docs/durability.md): every PTY byte is appended
 * to the session's current segment before anyone is shown it — the stream, `/buffer`, a
 * `bytes_out` — so after a `kill -9` the file holds everything any client saw and the
 * cursor never moves back. Writes are gathered per event-loop turn (one write(2) per turn
 * and session) and fsynced every second, so a crash of the machine loses at most about a
 * second. Each session keeps its two newest segments of `segmentBytes` (≥ one ring).
 */
export interface OutputLog {
  /** Queues bytes whose first is at `offset`, printed at `at` (epoch ms). */
  append(sessionId: string, chunk: Buffer, offset: number, at: number): void;
  /** Writes what is queued for the session now (before its cursor is shown). */
  flush(sessionId: string): void;
  /** The newest `maxBytes` contiguous bytes on disk; undefined when nothing is. */
  tail(sessionId: string, maxBytes: number): Promise<{ start: number; bytes: Buffer } | undefined>;
  /** Offset just past the last byte on disk; undefined when nothing is. */
  end(sessionId: string): Promise<number | undefined>;
  /** Writes, fsyncs and closes the session's files (it ended); they stay readable. */
  close(sessionId: string): Promise<void>;
  /** Deletes the session's files (it was deleted, or retention dropped it). */
  remove(sessionId: string): Promise<void>;
  /**
   * First step of deleting a session: its files are closed and set aside (renamed), so a
   * store delete that fails can `undo` it and one that succeeds `finish`es it; a crash in
   * between is settled by `recover` at the next start.
   */
  retire(sessionId: string): Promise<{ undo(): Promise<void>; finish(): Promise<void> }>;
  /**
   * At start: set-aside files of sessions still stored come back, those of sessions gone
   * are deleted. Returns the ids of other directories whose session is not stored: kept
   * (the store may have been lost or restored from a backup), for the caller to report.
   */
  recover(storedIds: ReadonlySet<string>): Promise<string[]>;
  /** Bytes the session's files take on disk. */
  bytesOnDisk(sessionId: string): Promise<number>;
  /** Whether some running session's output could not be written lately. */
  failing(): boolean;
  /**
   * Why output is not being saved (a public sentence), or null. While writes were failing
   * a probe file is written: once that works (space freed) the next bytes go to a new
   * segment, so the fault is over.
   */
  health(): Promise<string | null>;
  /** Stops the sync timer; writes, fsyncs and closes every file. */
  closeAll(): Promise<void>;
}

export interface OutputLogOptions {
  dir: string;
  /** Size at which a session starts a new segment (the ring size). */
  segmentBytes: number;
  /** @default 1000 */
  syncIntervalMs?: number;
  logger: Logger;
}

interface OpenSegment {
  start: number;
  size: number;
  fd: number;
  timingFd: number;
}

interface SessionFiles {
  dir: string;
  open: OpenSegment | null;
  pending: Buffer[];
  pendingBytes: number;
  pendingOffset: number;
  timing: string;
  lastAt: number;
  dirty: boolean;
  failing: boolean;
  syncing: Promise<void> | null;
}

const KEEP_SEGMENTS = 2;
/** Suffix of a deleted session's directory until its store delete is settled. */
const RETIRED = '.deleted';

export function createOutputLog(options: OutputLogOptions): OutputLog {
  const { dir: root, segmentBytes, logger } = options;
  const files = new Map<string, SessionFiles>();
  const queued = new Set<SessionFiles>();
  let flushSoon: NodeJS.Immediate | null = null;
  let failure: string | null = null;
  mkdirSync(root, { recursive: true, mode: 0o700 });

  const filesOf = (id: string): SessionFiles => {
    let f = files.get(id);
    if (!f) {
      f = { dir: join(root, id), open: null, pending: [], pendingBytes: 0, pendingOffset: 0, timing: '', lastAt: -1, dirty: false, failing: false, syncing: null };
      files.set(id, f);
    }
    return f;
  };

  const fail = (id: string, f: SessionFiles, err: unknown): void => {
    failure = `session output: writes fail (${describeFailure(err)})`;
    if (!f.failing) logger.error('session output write failed; output is kept in memory only', { session_id: id, error: err });
    f.failing = true;
    closeSegment(f);
  };

  const closeSegment = (f: SessionFiles): void => {
    const seg = f.open;
    f.open = null;
    if (!seg) return;
    // Retired segments are fsynced before their descriptors go (off the event loop).
    fdatasync(seg.fd, () => {
      for (const fd of [seg.fd, seg.timingFd]) if (fd >= 0) closeQuietly(fd);
    });
  };

  /** The segment the bytes at `offset` go to: the open one if they continue it, else a new one. */
  const segmentFor = (f: SessionFiles, offset: number): OpenSegment => {
    const cur = f.open;
    if (cur && cur.start + cur.size === offset && cur.size < segmentBytes) return cur;
    if (cur) closeSegment(f);
    mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    const starts = segmentStartsSync(f.dir);
    const last = starts[starts.length - 1];
    let start = offset;
    if (last !== undefined && !cur) {
      // After a restart: continue the newest segment if these bytes follow it.
      const size = sizeOf(join(f.dir, segmentName(last, 'out')));
      if (last + size === offset && size < segmentBytes) start = last;
    }
    const fd = openSync(join(f.dir, segmentName(start, 'out')), start === offset ? 'w' : 'a', 0o600);
    let timingFd = -1;
    try {
      timingFd = openSync(join(f.dir, segmentName(start, 'timing')), start === offset ? 'w' : 'a', 0o600);
    } catch (err) {
      closeQuietly(fd);
      throw err;
    }
    f.open = { start, size: offset - start, fd, timingFd };
    for (const old of [...new Set([...starts, start])].sort((a, b) => a - b).slice(0, -KEEP_SEGMENTS)) {
      for (const ext of ['out', 'timing'] as const) unlinkQuietly(join(f.dir, segmentName(old, ext)));
    }
    return f.open;
  };

  const flushFiles = (id: string, f: SessionFiles): void => {
    queued.delete(f);
    if (f.pendingBytes === 0) return;
    const data = f.pending.length === 1 ? f.pending[0]! : Buffer.concat(f.pending, f.pendingBytes);
    const offset = f.pendingOffset;
    const timing = f.timing;
    f.pending = [];
    f.pendingBytes = 0;
    f.timing = '';
    let seg: OpenSegment | null = null;
    try {
      seg = segmentFor(f, offset);
      let written = 0;
      try {
        while (written < data.length) written += writeSync(seg.fd, data, written);
      } finally {
        seg.size += written;
      }
      writeSync(seg.timingFd, timing);
      f.dirty = true;
      if (f.failing) logger.info('session output is being written again', { session_id: id });
      f.failing = false;
    } catch (err) {
      fail(id, f, err);
    }
  };

  const flushQueued = (): void => {
    flushSoon = null;
    for (const [id, f] of files) if (queued.has(f)) flushFiles(id, f);
  };

  const syncFiles = (f: SessionFiles): Promise<void> => {
    if (f.syncing) return f.syncing;
    const seg = f.open;
    if (!f.dirty || !seg) return Promise.resolve();
    f.dirty = false;
    f.syncing = Promise.all([seg.fd, seg.timingFd].map((fd) => new Promise<void>((r) => fdatasync(fd, () => r())))).then(() => {
      f.syncing = null;
    });
    return f.syncing;
  };

  const timer = setInterval(() => {
    for (const f of files.values()) void syncFiles(f);
  }, options.syncIntervalMs ?? 1000);
  timer.unref();

  const closeFiles = async (id: string, sync: boolean): Promise<void> => {
    const f = files.get(id);
    if (!f) return;
    flushFiles(id, f);
    if (sync) await syncFiles(f);
    else await f.syncing;
    const seg = f.open;
    f.open = null;
    if (seg) for (const fd of [seg.fd, seg.timingFd]) closeQuietly(fd);
    files.delete(id);
  };

  return {
    append(id, chunk, offset, at) {
      if (chunk.length === 0) return;
      const f = filesOf(id);
      if (f.pendingBytes > 0 && f.pendingOffset + f.pendingBytes !== offset) flushFiles(id, f);
      if (f.pendingBytes === 0) f.pendingOffset = offset;
      f.pending.push(chunk);
      f.pendingBytes += chunk.length;
      f.timing += `${at} ${chunk.length}\n`;
      queued.add(f);
      flushSoon ??= setImmediate(flushQueued);
    },
    flush(id) {
      const f = files.get(id);
      if (f) flushFiles(id, f);
    },
    async tail(id, maxBytes) {
      this.flush(id);
      return readTail(join(root, id), maxBytes);
    },
    async end(id) {
      this.flush(id);
      const segments = await listSegments(join(root, id));
      const last = segments[segments.length - 1];
      return last ? last.start + last.size : undefined;
    },
    close: (id) => closeFiles(id, true),
    async remove(id) {
      await closeFiles(id, false);
      await rm(join(root, id), { recursive: true, force: true });
    },
    async bytesOnDisk(id) {
      this.flush(id);
      const dir = join(root, id);
      const names = await readdir(dir).catch(() => [] as string[]);
      const sizes = await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)));
      return sizes.reduce((a, b) => a + b, 0);
    },
    async retire(id) {
      await closeFiles(id, false);
      const from = join(root, id);
      const aside = join(root, `${id}${RETIRED}`);
      const moved = await rename(from, aside).then(
        () => true,
        () => false, // no files yet
      );
      return {
        undo: async () => {
          if (moved) await rename(aside, from);
        },
        finish: () => rm(aside, { recursive: true, force: true }),
      };
    },
    async recover(storedIds) {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
      const unknown: string[] = [];
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name.endsWith(RETIRED)) {
          const id = e.name.slice(0, -RETIRED.length);
          if (storedIds.has(id)) await rename(join(root, e.name), join(root, id)).catch(() => undefined);
          else await rm(join(root, e.name), { recursive: true, force: true });
        } else if (!storedIds.has(e.name)) unknown.push(e.name);
      }
      return unknown;
    },
    // A fault of a session still writing: one that ended (files closed) is no longer one.
    failing: () => [...files.values()].some((f) => f.failing),
    async health() {
      if (!this.failing()) return null;
      const probe = join(root, '.health-probe');
      try {
        await writeFile(probe, String(Date.now()));
        await rm(probe, { force: true });
      } catch {
        return failure;
      }
      for (const f of files.values()) f.failing = false;
      return null;
    },
    async closeAll() {
      clearInterval(timer);
      if (flushSoon) clearImmediate(flushSoon);
      flushQueued();
      await Promise.all([...files.keys()].map((id) => closeFiles(id, true)));
    },
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
