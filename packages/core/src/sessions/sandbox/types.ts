/** How `createGateway({ sandbox })` isolates sessions (SPEC §15). */
export type SandboxMode = 'auto' | 'bwrap' | 'off';

/** One process launch, before the sandbox wraps it. */
export interface SandboxLaunch {
  /** Absolute path of the program. */
  command: string;
  args: readonly string[];
  /** The session's environment (already from the allow-list). */
  env: Readonly<Record<string, string>>;
  /** The real path of the session's working directory: writable inside. */
  cwd: string;
  /** The session's HOME: writable inside. */
  home: string;
  /** Who the session belongs to: integration sessions also lose sight of the operator's HOME. */
  origin: 'operator' | 'integration';
  /**
   * Read-only inside, wherever they are (a private `/tmp` would hide them): the session's
   * scratch directory with the files its spawn profile needs (an MCP config; SPEC §16).
   */
  readOnly?: readonly string[];
}

/** What the PTY actually runs. */
export interface SandboxedCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * A sandbox backend (SPEC §15; ARCHITECTURE "Sandbox backend"): turns a launch into the
 * command line that runs it isolated. Chosen with `createGateway({ sandbox })`: `'bwrap'`
 * (bubblewrap, Linux), `'off'`, `'auto'` (bwrap when it works here), or an embedder's own.
 */
export interface SessionSandbox {
  /** Shown in logs and in `gateway.sandbox`, e.g. `bwrap`, `off`. */
  readonly name: string;
  /** Whether sessions are isolated from the gateway and from each other. */
  readonly isolates: boolean;
  /**
   * The command line that runs `launch` in the sandbox. Throws a GatewayError (e.g. 503
   * `unavailable`) to refuse the launch.
   */
  wrap(launch: SandboxLaunch): Promise<SandboxedCommand>;
  /**
   * Signals every process of a session this sandbox started (`pid` is the PTY child's).
   * Returns false to let the gateway signal the session's process groups instead.
   */
  signal?(pid: number, signals: readonly NodeJS.Signals[]): boolean;
}

/** What the gateway reports about its sandbox (`gateway.sandbox`). */
export interface SandboxStatus {
  name: string;
  isolates: boolean;
  /** One line for the operator: what runs how, and the fix when something is missing. */
  message: string;
}
