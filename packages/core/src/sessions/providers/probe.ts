import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import type { ProviderRuntime } from '@opendray/sdk/wire';
import type { Logger } from '../../log.js';
import { sessionEnv } from '../session-env.js';
import type { ProviderManifest } from './types.js';
import { findExecutable } from './which.js';

/** Tuning of the availability probe (SPEC §5.1). */
export interface ProbeOptions {
  /** How long a result is fresh; a stale one is served while a new probe runs. @default 60_000 */
  ttlMs?: number;
  /** `<command> --version` is killed after this. @default 2_000 */
  timeoutMs?: number;
  /** The longest a request waits for a probe in flight. @default 250 */
  waitMs?: number;
  /** @default Date.now */
  now?: () => number;
  logger?: Logger;
}

/** Probes providers' commands and caches the answers. */
export interface Prober {
  /**
   * The runtime of a provider, never waiting more than `waitMs` for `--version`: a
   * fresh cached answer at once; a stale one at once while a new probe runs in the
   * background; on a first probe the PATH lookup (file-system checks only) and, if it
   * finished within `waitMs`, the version.
   */
  runtime(manifest: ProviderManifest): Promise<ProviderRuntime>;
  /** Starts probes for every manifest without waiting (at gateway start). */
  warm(manifests: readonly ProviderManifest[]): void;
  /** Kills probes in flight; later calls only look up PATH. */
  close(): void;
}

interface Entry {
  command: string;
  checkedAt: number;
  result?: ProviderRuntime;
  located?: Promise<string | null>;
  inflight?: Promise<ProviderRuntime>;
}

const MAX_OUTPUT = 64 * 1024;
const VERSION = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*[0-9A-Za-z])?/;

/** An availability prober with a per-provider cache (stale-while-revalidate). */
export function createProber(options: ProbeOptions = {}): Prober {
  const ttlMs = options.ttlMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const waitMs = options.waitMs ?? 250;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const abort = new AbortController();

  const runVersion = (path: string, args: readonly string[]): Promise<string | undefined> =>
    new Promise((resolve) => {
      if (args.length === 0 || abort.signal.aborted) return resolve(undefined);
      const child = execFile(
        path,
        [...args],
        // The same allow-listed environment as a session: the gateway's secrets reach no child (SPEC §15).
        { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, signal: abort.signal, windowsHide: true, env: sessionEnv({ home: homedir(), launchEnv: {} }) },
        (err, stdout, stderr) => {
          if (err) {
            options.logger?.debug('provider version probe failed', { command: path, error: err });
            return resolve(undefined);
          }
          resolve(parseVersion(String(stdout)) ?? parseVersion(String(stderr)));
        },
      );
      child.stdin?.end(); // a tool that reads stdin gets EOF instead of hanging until the timeout
    });

  const probe = (manifest: ProviderManifest): Entry => {
    const previous = entries.get(manifest.id);
    if (previous?.inflight && previous.command === manifest.command) return previous;
    const entry: Entry = { command: manifest.command, checkedAt: previous?.checkedAt ?? 0 };
    if (previous?.result && previous.command === manifest.command) entry.result = previous.result;
    // PATH is read at probe time, so a tool installed while the gateway runs is found.
    const located = findExecutable(manifest.command);
    entry.located = located;
    entry.inflight = located.then(async (path): Promise<ProviderRuntime> => {
      if (!path) return { installed: false };
      const version = await runVersion(path, manifest.version_args ?? ['--version']);
      return version === undefined ? { installed: true, path } : { installed: true, path, version };
    });
    void entry.inflight.then((result) => {
      entry.result = result;
      entry.checkedAt = now();
      delete entry.inflight;
      delete entry.located;
    });
    entries.set(manifest.id, entry);
    return entry;
  };

  return {
    async runtime(manifest) {
      const cached = entries.get(manifest.id);
      const fresh = cached?.result && cached.command === manifest.command && now() - cached.checkedAt < ttlMs;
      if (fresh) return cached!.result!;
      const entry = probe(manifest);
      if (entry.result) return entry.result;
      const located = entry.located!;
      let timer: NodeJS.Timeout | undefined;
      const fallback = new Promise<ProviderRuntime>((resolve) => {
        timer = setTimeout(() => {
          void located.then((path) => resolve(path ? { installed: true, path } : { installed: false }));
        }, waitMs);
      });
      try {
        return await Promise.race([entry.inflight!, fallback]);
      } finally {
        clearTimeout(timer);
      }
    },
    warm(manifests) {
      for (const m of manifests) probe(m);
    },
    close() {
      abort.abort();
    },
  };
}

/** The version in a `--version` output: its first x.y[.z] number, else its first line. */
export function parseVersion(output: string): string | undefined {
  const line = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line) return undefined;
  return VERSION.exec(line)?.[0] ?? line.slice(0, 128);
}
