import type { StreamClientControl, StreamServerControl } from '@opendray/sdk/wire';

/** A v2 text frame, parsed: the control message, or the `error` frame that answers it. */
export type ParsedControl = { ok: true; control: StreamClientControl } | { ok: false; error: ErrorFrame };

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1000;

type ErrorFrame = Extract<StreamServerControl, { type: 'error' }>;
const refuse = (code: ErrorFrame['code'], message: string): ParsedControl => ({ ok: false, error: { type: 'error', code, message } });

/**
 * Parses a client text frame of the `opendray.v2` stream (SPEC §5.5): `resize` and `flow`.
 * Anything else is answered with an `error` frame rather than silence, because a text frame
 * is easily sent by mistake for typed input (input goes in binary frames).
 */
export function parseClientControl(data: Buffer): ParsedControl {
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch {
    return refuse('invalid_json', 'text frames are JSON control messages; send terminal input as binary frames');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return refuse('validation_failed', 'a control message is a JSON object with a "type"');
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'resize':
      if (!isSize(m.cols) || !isSize(m.rows)) return refuse('validation_failed', 'resize: cols and rows must be integers 1–1000');
      return { ok: true, control: { type: 'resize', cols: m.cols, rows: m.rows } };
    case 'flow':
      if (m.mode !== 'ack' && m.mode !== 'none') return refuse('validation_failed', 'flow: mode must be "ack" or "none"');
      return { ok: true, control: { type: 'flow', mode: m.mode } };
    default:
      return refuse('unknown_control', `unknown control message type ${JSON.stringify(String(m.type)).slice(0, 80)}; known: resize, flow`);
  }
}
