import { EventFrameSchema, STREAM_SUBPROTOCOL_V2, StreamClientControl, StreamEnded, StreamQuery, StreamServerControl, T } from '@opendray/sdk/wire';
import type { UpgradeDoc } from './upgrade.js';

const token = T.String({ description: 'Credential for clients that cannot set headers (upgrades only; never logged)' });
const ticket = T.String({ description: 'A single-use ticket from POST /auth/ws-ticket, instead of a token in the URL' });

/** `WS /sessions/{id}/stream` (SPEC §5.5). */
export const STREAM_DOC: UpgradeDoc = {
  operationId: 'streamSession',
  description:
    'Live terminal (SPEC §5.5). Default mode: the ring, then every PTY chunk, as binary frames; client frames are input ' +
    '(needs session:input, else close 4003); {"type":"ended","exit_code"} then close 1000. With the opendray.v2 ' +
    'subprotocol: raw bytes both ways and JSON control frames; resume with ?since=<cursor>. A client with session:input ' +
    'that asks (?flow=ack, a v2 flow frame) or types is the driver: the PTY waits while it reads (lossless); viewers ' +
    'that fall behind are resynced (v2: gap; default: reset and repaint); a client that stops reading is closed with 1013.',
  query: T.Object({ ...StreamQuery.properties, token: T.Optional(token), ticket: T.Optional(ticket) }),
  subprotocols: [STREAM_SUBPROTOCOL_V2],
  frames: { server: T.Union([StreamServerControl, StreamEnded]), client: StreamClientControl },
  binary: {
    server: 'PTY output bytes, in order (the ring from ?since first); the same in both modes',
    client: 'Input to the PTY (needs session:input); in default mode text frames are input too',
  },
  errors: { 400: 'A malformed since or flow', 403: 'flow=ack without session:input' },
};

/** `WS /integrations/_events` (SPEC §6). */
export const EVENTS_DOC: UpgradeDoc = {
  operationId: 'events',
  description:
    'Event stream (SPEC §6): one JSON text frame per event, first {"topic":"_hello"}; {"topic":"_gap"} when events ' +
    'could not be delivered. Each topic needs event:subscribe:<topic> (admins bypass). Client frames are ignored.',
  query: T.Object({
    topics: T.String({ description: 'Comma-separated topics; trailing .* wildcard; * = all the caller may see' }),
    since: T.Optional(T.Integer({ minimum: 0, description: 'Last seq seen: replay what was missed' })),
    token: T.Optional(token),
    ticket: T.Optional(ticket),
  }),
  frames: { server: EventFrameSchema },
  tag: 'events',
  errors: { 400: 'An empty or malformed topic list', 403: 'A topic the caller has no event:subscribe scope for' },
};

/** Refusals of the reverse proxy (SPEC §8), for HTTP and WebSocket alike. */
export const PROXY_ERRORS: Readonly<Record<number, string>> = {
  400: 'A malformed path (dot segments, encoded slashes)',
  404: 'No integration has this prefix',
  502: 'The upstream failed',
  503: 'The integration is disabled or unhealthy (not contacted)',
  504: 'The upstream timed out',
};

/** `WS /proxy/{prefix}` and `/proxy/{prefix}/*`. */
export const proxyWsDoc = (operationId: string): UpgradeDoc => ({
  operationId,
  description: 'A WebSocket upgrade forwarded to the integration (SPEC §8).',
  query: T.Object({ token: T.Optional(token), ticket: T.Optional(ticket) }),
  frames: {},
  binary: { server: "Whatever the integration's WebSocket sends", client: 'Whatever the client sends, forwarded as is' },
  errors: PROXY_ERRORS,
});
