import type { ObservedSession, SessionObserver } from './observer.js';

/** DA1, XTVERSION, CPR/DECXCPR and OSC 10/11 colour queries (SPEC §17 "terminal replies"). */
const QUERY = /\x1b\[0?c|\x1b\[>0?q|\x1b\[\??6n|\x1b\](1[01]);\?(\x07|\x1b\\)/g;
/** A query may be cut at the end of a chunk: keep at most this much of a trailing ESC sequence. */
const MAX_TAIL = 16;

/**
 * Answers the start-up queries of the CLIs from the gateway's own terminal, as tmux does
 * (AGENT-CLIS.md: all three send DA1; Claude XTVERSION; Codex CPR and OSC 10/11; Gemini
 * OSC 11). A viewer's emulator answers too, but those replies are filtered from stream
 * frames (SPEC §5.6), so exactly one answer reaches the program, viewer or not. CPR
 * reports the headless screen's cursor. Split-safe: a query cut across chunks is answered once.
 */
export function createTerminalReplies(session: ObservedSession): SessionObserver {
  let tail = '';
  let queue: Promise<unknown> = Promise.resolve();
  const send = (bytes: string): void => {
    queue = queue.then(() => session.reply(bytes)).catch(() => undefined);
  };
  return {
    data(chunk) {
      if (tail === '' && !chunk.includes(0x1b)) return;
      const text = tail + chunk.toString('latin1');
      QUERY.lastIndex = 0;
      let m: RegExpExecArray | null;
      let end = 0;
      while ((m = QUERY.exec(text))) {
        end = QUERY.lastIndex;
        const q = m[0];
        if (q.endsWith('c')) send('\x1b[?1;2c');
        else if (q.endsWith('q')) send('\x1bP>|opendray\x1b\\');
        else if (q.endsWith('n')) {
          const extended = q.includes('?');
          queue = queue
            .then(async () => {
              const { cursor } = await session.screen();
              session.reply(`\x1b[${extended ? '?' : ''}${cursor.y + 1};${cursor.x + 1}${extended ? ';1' : ''}R`);
            })
            .catch(() => undefined);
        } else send(m[1] === '10' ? `\x1b]10;rgb:ffff/ffff/ffff${m[2]}` : `\x1b]11;rgb:0000/0000/0000${m[2]}`);
      }
      const lastEsc = text.lastIndexOf('\x1b');
      tail = lastEsc >= end && text.length - lastEsc <= MAX_TAIL ? text.slice(lastEsc) : '';
    },
  };
}
