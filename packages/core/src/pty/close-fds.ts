import { existsSync } from 'node:fs';

/**
 * Closes every descriptor above 2, then becomes the command (`exec "$@"`). node-pty 1.1
 * forks with `forkpty` and never sets close-on-exec on a master, so without this every
 * session inherits the masters of all sessions started before it and can type into them
 * (microsoft/node-pty#657); descriptors the gateway's own parent leaked (a supervisor's
 * pipe) would pass through too. `bash -p` reads no `BASH_ENV` and imports no functions
 * from the environment, so nothing of the session's environment runs here (SPEC §15).
 * Why a shim and not a newer node-pty: docs/security.md, "Descriptors".
 */
const CLOSE_ABOVE_STDERR =
  'for f in /proc/self/fd/*; do n=${f##*/}; if (( n > 2 )) && [[ -e $f ]]; then exec {n}>&-; fi; done; exec "$@"';

/** Where the shim's shell lives; absent on systems without bash (the shim is then skipped). */
const BASH = '/bin/bash';

export interface ExecLine {
  file: string;
  args: string[];
}

/** Whether this system can run the shim: Linux (descriptors listed in /proc) with bash. */
export function closeFdsShimAvailable(): boolean {
  return process.platform === 'linux' && existsSync(BASH) && existsSync('/proc/self/fd');
}

/**
 * The command line that runs `file args` with only descriptors 0, 1 and 2 open. The
 * process keeps its pid (the shim execs), so process-group signalling is unchanged.
 */
export function withOnlyStdio(file: string, args: readonly string[]): ExecLine {
  return { file: BASH, args: ['-p', '-c', CLOSE_ABOVE_STDERR, 'opendray-exec', file, ...args] };
}
