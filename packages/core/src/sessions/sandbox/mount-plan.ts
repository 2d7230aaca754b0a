import { within } from '../cwd-policy.js';

/** A path the sandbox hides: a directory gets an empty tmpfs, a file `/dev/null`. */
export interface HiddenPath {
  path: string;
  dir: boolean;
  /**
   * A hard hide (the data dir, the config file) is never re-exposed: writable places and
   * read-only exposures inside it are dropped, except deeper writable places such as an
   * integration's HOME under the data dir. A soft hide (the operator's HOME, for an
   * integration's session) gives way to every deeper place.
   */
  hard: boolean;
}

/** What one sandbox should look like; every path absolute and real (symlinks resolved). */
export interface MountRequest {
  /** Writable: the session's cwd and HOME. */
  writable: readonly string[];
  hidden: readonly HiddenPath[];
  /** Read-only inside a hidden path: where the agent's program and node live. */
  exposed: readonly string[];
  /** System directories that get a private, empty tmpfs (`/tmp`, `/var/tmp` where they exist). */
  privateDirs: readonly string[];
  /**
   * Read-only wherever they are, over a private dir or a hide: the gateway wrote them for
   * this session alone (its scratch directory). @default []
   */
  readOnly?: readonly string[];
}

type Mount = { path: string; rank: number; args: string[] };

/**
 * The bubblewrap arguments of the filesystem (SPEC §15): the system read-only, a fresh
 * `/dev` (no other session's terminal) and `/proc` (only this sandbox's processes), a
 * private `/tmp` and `/dev/shm`, then the request's places. bwrap applies mounts in order and a later
 * mount covers an earlier one, so they are sorted by depth (a deeper rule wins) and, at
 * one path, soft hide < read-only exposure < writable < hard hide.
 */
export function mountArgs(req: MountRequest): string[] {
  const hard = req.hidden.filter((h) => h.hard).map((h) => h.path);
  const mounts: Mount[] = [];
  const places = [...req.writable, ...req.exposed];
  // A hide inside another hide is redundant, unless a place between them shows it again.
  const redundant = (h: HiddenPath): boolean =>
    req.hidden.some(
      (outer) => outer !== h && outer.dir && outer.path !== h.path && within(h.path, outer.path) && (outer.hard || !h.hard) &&
        !places.some((p) => within(p, outer.path) && within(h.path, p)),
    );
  for (const h of req.hidden) {
    if (redundant(h)) continue;
    mounts.push({ path: h.path, rank: h.hard ? 3 : 0, args: h.dir ? ['--tmpfs', h.path] : ['--ro-bind', '/dev/null', h.path] });
  }
  for (const path of req.writable) mounts.push({ path, rank: 2, args: ['--bind', path, path] });
  for (const path of req.exposed) {
    // Exposed only where something hides it, never inside the data dir, never over a writable place.
    const hiddenHere = req.hidden.some((h) => h.dir && within(path, h.path));
    const inHard = hard.some((h) => within(path, h));
    const inWritable = req.writable.some((w) => within(path, w));
    if (hiddenHere && !inHard && !inWritable) mounts.push({ path, rank: 1, args: ['--ro-bind', path, path] });
  }
  for (const path of req.readOnly ?? []) mounts.push({ path, rank: 2, args: ['--ro-bind', path, path] });
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || a.rank - b.rank);
  return [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/dev/shm',
    ...req.privateDirs.flatMap((d) => ['--tmpfs', d]),
    ...dedupe(mounts).flatMap((m) => m.args),
  ];
}

/** Drops repeats of one exact mount (a cwd that is also the HOME). */
function dedupe(mounts: Mount[]): Mount[] {
  const seen = new Set<string>();
  return mounts.filter((m) => {
    const key = m.args.join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const depth = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);
