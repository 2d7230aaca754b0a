import type { Socket } from 'node:net';
import headlessModule from '@xterm/headless';
import type WebSocket from 'ws';
import type { Logger } from '../../src/index.js';
import { waitFor } from './gateway.js';

/** A logger that keeps every entry with the time it was written, for tests that watch the gateway decide. */
export function recordingLogger(): { logger: Logger; entries: Array<{ level: string; msg: string; at: number; fields?: Record<string, unknown> }>; when(msg: string, timeoutMs?: number): Promise<number[]> } {
  const entries: Array<{ level: string; msg: string; at: number; fields?: Record<string, unknown> }> = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void entries.push({ level, msg, at: Date.now(), ...(fields ? { fields } : {}) });
  return {
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    entries,
    /** Resolves with the times of the entries named `msg`, once there is one. */
    when: (msg, timeoutMs = 20_000) =>
      waitFor(() => {
        const at = entries.filter((e) => e.msg === msg).map((e) => e.at);
        return at.length > 0 ? at : null;
      }, timeoutMs),
  };
}

/**
 * Stops (and later restarts) reading a client socket, like a stuck or slow consumer: the
 * kernel buffers fill and the server sees a backlog that does not move.
 */
export function readControl(ws: WebSocket): { pause(): void; resume(): void } {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return { pause: () => socket.pause(), resume: () => socket.resume() };
}

/** The visible lines a terminal of `cols`×`rows` shows after `bytes` (trailing blanks trimmed). */
export async function renderScreen(bytes: Buffer, cols: number, rows: number): Promise<string[]> {
  const term = new headlessModule.Terminal({ cols, rows, scrollback: 0, allowProposedApi: true, logLevel: 'off' });
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const buf = term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
  term.dispose();
  return lines;
}
