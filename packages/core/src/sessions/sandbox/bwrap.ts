import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, sep } from 'node:path';
import { within } from '../cwd-policy.js';
import { mountArgs, type HiddenPath } from './mount-plan.js';
import { signalSandbox } from './signal.js';
import type { SandboxLaunch, SandboxedCommand, SessionSandbox } from './types.js';

export interface BwrapOptions {
  /** Absolute path of the bwrap binary. */
  bwrap: string;
  /** Never visible inside: the data dir, the config file, the CLI's credentials (SPEC §15). */
  hidden: readonly string[];
  /** The gateway user's HOME, hidden from integration sessions. @default os.homedir() */
  operatorHome?: string;
  /** Whether the gateway runs as root: then bwrap must drop every capability. @default process.getuid() === 0 */
  root?: boolean;
}

/**
 * The bubblewrap sandbox (SPEC §15): its own PID and IPC namespaces, dies with the
 * gateway, no capabilities; the system read-only; hidden: the data dir, the config file
 * and the gateway's `/proc` entry (a fresh `/proc` shows only the sandbox's processes);
 * writable: the session's cwd and HOME; read-only: its scratch directory (spawn-profile
 * files); for an integration's session the operator's HOME
 * is hidden too, except the directories its program and node live in (read-only), and
 * PATH loses the entries that are no longer there. The network is shared (agents call
 * their APIs). No `--new-session`: a new terminal session would cost the shell its
 * controlling terminal (no job control), and the terminal is the session's own, so
 * TIOCSTI could only type into itself.
 */
export function createBwrapSandbox(options: BwrapOptions): SessionSandbox {
  const operatorHome = options.operatorHome ?? homedir();
  const root = options.root ?? process.getuid?.() === 0;
  const foreground = existsSync(BASH) ? FOREGROUND : [];
  return {
    name: 'bwrap',
    isolates: true,
    async wrap(launch: SandboxLaunch): Promise<SandboxedCommand> {
      const integration = launch.origin === 'integration';
      const hidden: HiddenPath[] = [];
      for (const path of options.hidden) {
        const found = await existing(path);
        if (found) hidden.push({ ...found, hard: true });
      }
      const exposed: string[] = [];
      if (integration) {
        for (const path of [operatorHome, '/run/user']) {
          const found = await existing(path);
          if (found?.dir && found.path !== '/') hidden.push({ ...found, hard: false });
        }
        exposed.push(...(await installRoots([launch.command, process.execPath])));
      }
      // A HOME that does not exist (a service user's /nonexistent) is simply not there inside either.
      const home = await existing(launch.home);
      const writable = [launch.cwd, ...(home?.dir ? [home.path] : [])];
      const privateDirs = (await Promise.all(['/tmp', '/var/tmp'].map(existing))).flatMap((d) => (d?.dir ? [d.path] : []));
      // The session's own read-only places (its scratch directory), by real path; bound after the private /tmp.
      const readOnly = (await Promise.all((launch.readOnly ?? []).map(existing))).flatMap((d) => (d ? [d.path] : []));
      const env = { ...launch.env };
      if (integration && env.PATH !== undefined) env.PATH = visiblePath(env.PATH, hidden, [...exposed, ...writable]);
      return {
        command: options.bwrap,
        args: [
          '--die-with-parent',
          '--unshare-pid',
          '--unshare-ipc',
          ...(root ? ['--cap-drop', 'ALL'] : []),
          ...mountArgs({ writable, hidden, exposed, privateDirs, readOnly }),
          '--chdir', launch.cwd,
          '--',
          ...foreground,
          launch.command,
          ...launch.args,
        ],
        env,
        cwd: launch.cwd,
      };
    },
    signal: (pid, signals) => signalSandbox(options.bwrap, pid, signals),
  };
}

const BASH = '/bin/bash';
/**
 * Runs the command as the terminal's foreground process group, inside the sandbox. The
 * group node-pty made foreground is bwrap's, outside the PID namespace, so inside it reads
 * as group 0: a shell that hands the terminal back to it at exit fails (dash: "Cannot set
 * tty process group", exit status 2 instead of the script's). An interactive bash takes
 * the terminal for a group of its own when it starts, then execs; exec restores the
 * signal dispositions it changed, and it reads no rc file, `BASH_ENV` or imported function.
 */
const FOREGROUND = [BASH, '--norc', '--noprofile', '-p', '-i', '-c', 'exec "$@"', 'opendray-tty'];

/** The real path of `path` and whether it is a directory; undefined when it does not exist. */
async function existing(path: string): Promise<{ path: string; dir: boolean } | undefined> {
  try {
    const real = await realpath(path);
    return { path: real, dir: (await stat(real)).isDirectory() };
  } catch {
    return undefined;
  }
}

/**
 * Where each program is installed: for a file inside `node_modules` (an npm-installed
 * CLI), the directory holding the last `node_modules` — the package and the dependencies
 * npm hoisted beside it; otherwise the program's own directory.
 */
async function installRoots(programs: readonly string[]): Promise<string[]> {
  const roots = new Set<string>();
  for (const program of programs) {
    const real = await realpath(program).catch(() => undefined);
    if (!real) continue;
    const marker = `${sep}node_modules${sep}`;
    const at = real.lastIndexOf(marker);
    roots.add(at > 0 ? real.slice(0, at) : dirname(real));
  }
  return [...roots];
}

/** PATH without the entries the sandbox hides (unless re-exposed), so lookups fall through to what is there. */
function visiblePath(path: string, hidden: readonly HiddenPath[], visible: readonly string[]): string {
  return path
    .split(delimiter)
    .filter((entry) => !hidden.some((h) => h.dir && within(entry, h.path)) || visible.some((v) => within(entry, v)))
    .join(delimiter);
}
