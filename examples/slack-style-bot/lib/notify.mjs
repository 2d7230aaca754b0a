// @ts-check
// Turns the gateway's session events into chat messages (SPEC §6): `session.ended` says how
// the session finished, `session.idle` says it waits for input (an agent asking a question).
// Tenancy means only the bot's own sessions ever show up here.
import { isOpendrayError } from '@opendray/sdk';

/** @typedef {import('@opendray/sdk').OpendrayClient} OpendrayClient */
/** @typedef {import('@opendray/sdk').EventFrame} EventFrame */

/** The topics the bot needs `event:subscribe:…` scopes for. */
export const TOPICS = ['session.ended', 'session.idle'];

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
  const tail = await lastLines(client, id);
  const quoted = tail.length ? `\n\`\`\`\n${tail.join('\n')}\n\`\`\`` : '';
  if (event.topic === 'session.ended') {
    const { exit_code: code, signal, state } = event.data;
    const how = state === 'stopped' ? 'was stopped' : signal ? `was killed by ${signal}` : `ended with exit code ${code}`;
    return `:checkered_flag: Session ${name} (${id}) ${how}.${quoted}`;
  }
  if (event.topic === 'session.idle') {
    return `:hourglass: Session ${name} (${id}) is waiting for input. Reply to send it a message.${quoted}`;
  }
  return undefined;
}

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
