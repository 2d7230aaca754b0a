// @ts-check
// Turns the gateway's session events into chat messages, with the v2 event names (SPEC §16):
// `session.idle` says a session waits for input and carries `recent_output` (what its screen
// shows: the agent's question or answer); `session.ended` says how it finished, and
// `session.stopped` that someone stopped it. The sessions are the operator's: an integration
// sees them unless the operator made them private (SPEC §3).
import { isOpendrayError } from '@opendray/sdk';

/** @typedef {import('@opendray/sdk').OpendrayClient} OpendrayClient */
/** @typedef {import('@opendray/sdk').EventFrame} EventFrame */

/** The topics the bot needs `event:subscribe:…` scopes for (all under the guide's `session.*`). */
export const TOPICS = ['session.idle', 'session.ended', 'session.stopped'];

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * The chat message for one event, or `undefined` for events that deserve none.
 *
 * @param {OpendrayClient} client
 * @param {EventFrame} event
 * @returns {Promise<string | undefined>}
 */
export async function messageFor(client, event) {
  if (event.topic === '_gap') return ':warning: the bot missed some session events (the gateway could not replay them)';
  const id = typeof event.data.session_id === 'string' ? event.data.session_id : undefined;
  if (!id) return undefined;
  const name = await sessionName(client, id);
  if (event.topic === 'session.idle') {
    // v2's reply signal: the screen comes with the event, no further call needed.
    const lines = String(event.data.recent_output ?? '').split('\n').filter((l) => l.trim() !== '').slice(-5);
    return `:hourglass: Session ${name} (${id}) is waiting for input. Reply to send it a message.${quote(lines)}`;
  }
  const tail = await lastLines(client, id);
  if (event.topic === 'session.stopped') return `:octagonal_sign: Session ${name} (${id}) was stopped.${quote(tail)}`;
  if (event.topic === 'session.ended') {
    const { exit_code: code, signal } = event.data;
    const how = signal ? `was killed by ${signal}` : `ended with exit code ${code}`;
    return `:checkered_flag: Session ${name} (${id}) ${how}.${quote(tail)}`;
  }
  return undefined;
}

/** Lines as a chat code block, or nothing. @param {string[]} lines */
const quote = (lines) => (lines.length ? `\n\`\`\`\n${lines.join('\n')}\n\`\`\`` : '');

/** @param {OpendrayClient} client @param {string} id */
async function sessionName(client, id) {
  try {
    return `"${(await client.getSession(id)).name}"`;
  } catch (err) {
    if (isOpendrayError(err, 'not_found')) return '(deleted)';
    throw err;
  }
}

/**
 * The last few lines the session shows: its rendered screen when the gateway has one (an
 * agent's TUI redraws, so raw bytes read badly), else the tail of its output buffer.
 *
 * @param {OpendrayClient} client
 * @param {string} id
 * @returns {Promise<string[]>}
 */
async function lastLines(client, id, n = 5) {
  try {
    const screen = await client.getScreen(id);
    const lines = screen.lines.map((l) => l.trimEnd()).filter((l) => l !== '');
    if (lines.length) return lines.slice(-n);
  } catch {
    // no screen (deleted, or a gateway without /screen): fall back to the buffer
  }
  try {
    const head = await client.getSession(id);
    const chunk = await client.getBuffer(id, { since: Math.max(0, head.bytes_out - 4096) });
    return new TextDecoder()
      .decode(chunk.bytes)
      .replace(ANSI, '')
      .split(/\r?\n|\r/)
      .filter((l) => l.trim() !== '')
      .slice(-n);
  } catch {
    return [];
  }
}
