import { InputRequest } from '@opendray/sdk/wire';
import { compile } from '../validation/ajv.js';
import { registerHint } from '../validation/hints.js';

/** What the PTY is sent for each named key (SPEC §5.6); `C-a`…`C-z` are computed. */
const NAMED: Readonly<Record<string, string>> = {
  Enter: '\r',
  Tab: '\t',
  Escape: '\x1b',
  Backspace: '\x7f',
  Up: '\x1b[A',
  Down: '\x1b[B',
  Right: '\x1b[C',
  Left: '\x1b[D',
  PageUp: '\x1b[5~',
  PageDown: '\x1b[6~',
  Home: '\x1b[H',
  End: '\x1b[F',
  Delete: '\x1b[3~',
  Space: ' ',
};

/** The bytes of one named key, or undefined for a name not in SPEC §5.6. */
export function keyBytes(name: string): string | undefined {
  if (Object.hasOwn(NAMED, name)) return NAMED[name];
  const ctrl = /^C-([a-zA-Z])$/.exec(name);
  if (ctrl) return String.fromCharCode(ctrl[1]!.toLowerCase().charCodeAt(0) - 96);
  return undefined;
}

const ALIASES: Readonly<Record<string, string>> = { return: 'Enter', esc: 'Escape', del: 'Delete', pgup: 'PageUp', pgdn: 'PageDown', bs: 'Backspace' };

/** The SPEC §5.6 name a client probably meant (`Ctrl-C` → `C-c`, `enter` → `Enter`), if any. */
export function suggestKey(name: string): string | undefined {
  const ctrl = /^(?:ctrl|control|ctl|\^)[-+_ ]?([a-zA-Z])$/i.exec(name);
  if (ctrl) return `C-${ctrl[1]!.toLowerCase()}`;
  const lower = name.toLowerCase();
  return Object.keys(NAMED).find((k) => k.toLowerCase() === lower) ?? ALIASES[lower];
}

registerHint('NamedKey', (value) => (typeof value === 'string' ? suggestKey(value) : undefined));

/** A validated `POST /input` body: exactly one of the three forms. */
export type SessionInput = { kind: 'data'; data: string } | { kind: 'text'; text: string } | { kind: 'keys'; bytes: string };

const validateInput = compile<InputRequest>(InputRequest, 'InputRequest');

/**
 * Validates an input body against its schema (SPEC §4, §5.6): exactly one of `data`,
 * `text`, `keys`; strings must be well-formed UTF-16 (a lone surrogate cannot be written as
 * UTF-8, so it is a 400 rather than silently becoming U+FFFD); every key name must be known.
 */
export function parseInput(body: unknown): SessionInput {
  const b = validateInput.check(body);
  if ('data' in b) return { kind: 'data', data: b.data };
  if ('text' in b) return { kind: 'text', text: b.text };
  return { kind: 'keys', bytes: b.keys.map((k) => keyBytes(k)!).join('') };
}

/**
 * The message a submitted input carries for `/history`: a `text`, or `data` ending in CR
 * or LF (minus that line end). Undefined when the input submits nothing.
 */
export function submittedMessage(input: SessionInput): string | undefined {
  if (input.kind === 'text') return input.text;
  if (input.kind === 'data' && /[\r\n]$/.test(input.data)) {
    const text = input.data.replace(/[\r\n]+$/, '');
    return text === '' ? undefined : text;
  }
  return undefined;
}

// Replies a terminal emulator sends to queries found in the replayed output: DA1
// (`ESC[?1;2c`), DA2 (`ESC[>0;276;0c`), CPR (`ESC[12;40R`), DECXCPR (`ESC[?12;40;1R`),
// DECRQM (`ESC[?2004;2$y`) and OSC colour answers (`ESC]11;rgb:…BEL`).
const QUERY_REPLY =
  /\x1b\[[?>][\d;]*c|\x1b\[\??\d+;\d+(?:;\d+)?R|\x1b\[\?[\d;]*\$y|\x1b\](?:1\d|4;\d+);rgb:[0-9a-fA-F/]*(?:\x07|\x1b\\)/g;

/**
 * Strips terminal query replies from a stream client's frame (SPEC §5.6): a viewer's
 * emulator answers queries it finds in the replayed ring, and those answers must not reach
 * the program as typed input. Returns what is left (possibly empty).
 */
export function stripQueryReplies(data: Buffer): Buffer {
  // Fast path: no ESC, nothing to strip (the common keystroke).
  if (!data.includes(0x1b)) return data;
  const text = data.toString('latin1');
  const kept = text.replace(QUERY_REPLY, '');
  return kept.length === text.length ? data : Buffer.from(kept, 'latin1');
}
