/**
 * The PTY backend: node-pty's shape, so `createGateway({ pty })` can take node-pty itself
 * (the default) or a double where a real process cannot show a case.
 */
export interface PtyProcess {
  readonly pid: number;
  readonly cols: number;
  readonly rows: number;
  onData(listener: (data: string | Buffer) => void): { dispose(): void };
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}

export interface PtySpawnOptions {
  name: string;
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
  /** Raw bytes out, no decoding (node-pty's `encoding: null`). */
  encoding: null;
}

export interface PtyBackend {
  spawn(file: string, args: string[], options: PtySpawnOptions): PtyProcess;
}
