import { constants } from 'node:os';
import type { ExitInfo, OpendrayClient } from '@opendray/sdk';
import { createModeTracker } from './terminal-modes.js';
import { selfCommand } from '../invocation.js';

/** The detach key: Ctrl-] (0x1d), telnet's escape; it is never sent to the session. */
export const DETACH_KEY = 0x1d;
// The same key from a terminal in the kitty keyboard protocol, which a TUI in the session may turn on.
const DETACH_KEY_CSI_U = Buffer.from('\x1b[93;5u');
/** How the detach key is named in messages and docs. */
export const DETACH_KEY_NAME = 'Ctrl-]';

const SIGNALS_THAT_DETACH = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Bridges this process's terminal to a session over the `opendray.v2` stream (SPEC §5.5,
 * §12) and resolves with the exit code: the session's own when it ends (128 + signal
 * number when a signal ended it), 0 when detached with {@link DETACH_KEY}, 128 + n when
 * this process got signal n. An API failure rejects with the SDK's error.
 *
 * stdin in raw mode when it is a terminal (so Ctrl-C, Ctrl-Z… reach the session), plain
 * bytes otherwise; the session is resized to stdout's size at start and on every
 * SIGWINCH. The terminal is restored however it ends, including modes the session turned
 * on (alternate screen, mouse, bracketed paste, hidden cursor). `readOnly` sends neither
 * input nor size (both need `session:input`), only watching; the detach key still works.
 */
export async function runAttach(client: OpendrayClient, id: string, opts: { readOnly?: boolean } = {}): Promise<number> {
  // A missing session is a clean 404 before the terminal is touched.
  const session = await client.getSession(id);
  const { stdin, stdout, stderr } = process;
  const rawInput = stdin.isTTY === true;
  const outputTty = stdout.isTTY === true;
  const sendSize = outputTty && !opts.readOnly;
  const chatty = stderr.isTTY === true;
  const modes = createModeTracker();
  let detachCode: number | null = null;
  let reading = false;

  const attachment = client.attach(session.id, {
    onData: (bytes) => {
      modes.feed(bytes);
      stdout.write(bytes);
    },
    // Input is read only once the stream is live, so bytes before a detach key in piped
    // input are on the socket before the detach closes it. EOF on a piped stdin does not
    // detach: the output keeps flowing until the session ends.
    onHello: () => {
      if (reading) return;
      reading = true;
      stdin.on('data', onInput);
      stdin.resume();
    },
  });
  const detach = (code: number): void => {
    detachCode ??= code;
    attachment.close();
  };
  const onInput = (chunk: Buffer): void => {
    const at = detachKeyAt(chunk);
    if (at < 0) {
      if (!opts.readOnly) attachment.write(chunk);
      return;
    }
    if (at > 0 && !opts.readOnly) attachment.write(chunk.subarray(0, at));
    detach(0);
  };
  const onResize = (): void => attachment.resize(stdout.columns, stdout.rows);
  const onSignal = (signal: NodeJS.Signals): void => detach(128 + (constants.signals[signal] ?? 1));

  if (sendSize) onResize();
  if (rawInput) stdin.setRawMode(true);
  if (sendSize) stdout.on('resize', onResize);
  for (const s of SIGNALS_THAT_DETACH) process.on(s, onSignal);
  if (chatty) stderr.write(`[attached to ${session.id}${opts.readOnly ? ' read-only' : ''}; detach with ${DETACH_KEY_NAME}]\r\n`);

  const end = await attachment.closed;

  for (const s of SIGNALS_THAT_DETACH) process.off(s, onSignal);
  stdin.off('data', onInput);
  if (rawInput) stdin.setRawMode(false);
  stdin.pause();
  stdout.off('resize', onResize);
  if (outputTty) stdout.write(modes.restore());

  if (end.reason === 'error') {
    if (chatty) stderr.write('\r\n');
    throw end.error;
  }
  if (end.reason === 'exit') {
    const code = exitCodeOf(end.exit);
    if (chatty) stderr.write(`\r\n[session ${session.id} ended: ${describeExit(end.exit)}]\n`);
    return code;
  }
  if (chatty) stderr.write(`\r\n[detached from ${session.id}; it keeps running: ${selfCommand()} sessions attach ${session.id}]\n`);
  return detachCode ?? 0;
}

function detachKeyAt(chunk: Buffer): number {
  const plain = chunk.indexOf(DETACH_KEY);
  const csi = chunk.indexOf(DETACH_KEY_CSI_U);
  return plain < 0 ? csi : csi < 0 ? plain : Math.min(plain, csi);
}

/** The shell convention: the exit status, or 128 + the signal number. */
export function exitCodeOf(exit: ExitInfo): number {
  if (typeof exit.exit_code === 'number') return exit.exit_code & 0xff;
  const n = exit.signal ? constants.signals[exit.signal as NodeJS.Signals] : undefined;
  return n ? 128 + n : 1;
}

function describeExit(exit: ExitInfo): string {
  if (typeof exit.exit_code === 'number') return `exit code ${exit.exit_code}`;
  return exit.signal ? `signal ${exit.signal}` : 'no exit code';
}
