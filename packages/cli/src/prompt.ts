import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.js';

/** Asks a question on a terminal (the answer is echoed); resolves with the trimmed answer. */
export async function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * Reads a secret from the terminal without echoing it: stdin in raw mode, Backspace and
 * Ctrl-U edit, Enter ends, Ctrl-C / Ctrl-D on an empty line cancel (exit 130). The
 * terminal mode is restored however it ends.
 */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  const output = process.stderr;
  // Echo off before the prompt shows, so nothing typed as soon as it appears is echoed.
  input.setRawMode(true);
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err: Error | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new CliError('opendray: cancelled', 130));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** Everything on stdin (for `--password-stdin`), without one trailing newline. */
export async function readStdin(limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) throw new CliError('opendray: --password-stdin: input too large', 2);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
