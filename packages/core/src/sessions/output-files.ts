import { readdirSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The on-disk layout of session output (docs/durability.md):
 *
 *   <outputDir>/<session id>/<start>.out      raw PTY bytes, offsets start … start+size
 *   <outputDir>/<session id>/<start>.timing   one line per write: "<epoch ms> <bytes>\n"
 *
 * `<start>` is the stream offset of the segment's first byte, 16 decimal digits. Segments
 * of one session are contiguous unless a write failed (then the next starts at its own
 * offset, leaving a gap). The `.out` file is what the terminal showed (`cat` it); with the
 * timing file it replays (asciicast, scriptreplay).
 */

export interface Segment {
  start: number;
  size: number;
}

const SEGMENT = /^(\d{16})\.out$/;

export const segmentName = (start: number, ext: 'out' | 'timing'): string => `${String(start).padStart(16, '0')}.${ext}`;

function startsIn(names: string[]): number[] {
  return names
    .map((n) => SEGMENT.exec(n)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Segment starts of a session, oldest first, read synchronously (once per session life). */
export function segmentStartsSync(dir: string): number[] {
  try {
    return startsIn(readdirSync(dir));
  } catch {
    return [];
  }
}

/** Segments with their sizes, oldest first; none when the directory is absent. */
export async function listSegments(dir: string): Promise<Segment[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Segment[] = [];
  for (const start of startsIn(names)) {
    const size = await stat(join(dir, segmentName(start, 'out'))).then((s) => s.size, () => -1);
    if (size >= 0) out.push({ start, size });
  }
  return out;
}

/** The newest `maxBytes` of the newest contiguous run of segments. */
export async function readTail(dir: string, maxBytes: number): Promise<{ start: number; bytes: Buffer } | undefined> {
  const segments = await listSegments(dir);
  if (segments.length === 0) return undefined;
  const run: Segment[] = [segments[segments.length - 1]!];
  let total = run[0]!.size;
  for (let i = segments.length - 2; i >= 0 && total < maxBytes; i--) {
    const s = segments[i]!;
    if (s.start + s.size !== run[0]!.start) break;
    run.unshift(s);
    total += s.size;
  }
  const end = run[run.length - 1]!.start + run[run.length - 1]!.size;
  const from = Math.max(run[0]!.start, end - maxBytes);
  const parts: Buffer[] = [];
  for (const s of run) {
    if (s.start + s.size <= from) continue;
    const skip = Math.max(0, from - s.start);
    parts.push(await readRange(join(dir, segmentName(s.start, 'out')), skip, s.size - skip));
  }
  const bytes = Buffer.concat(parts);
  return { start: end - bytes.length, bytes };
}

async function readRange(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buf, read, length - read, position + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buf.subarray(0, read);
  } finally {
    await handle.close();
  }
}
