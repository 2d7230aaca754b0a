import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';
import { isoTime } from '../clock.js';
import type { Capability, GatewayContext } from '../context.js';
import { authorizeTopics, expandAllTopics, visibilityOf } from '../events/access.js';
import { parseEventsQuery } from '../events/query.js';
import { attachSubscriber } from '../events/subscriber.js';
import { startWriteTimeout } from './backpressure.js';
import { CloseCode } from './close-codes.js';
import { closeHard } from './connections.js';
import { startHeartbeat } from './heartbeat.js';
import { EVENTS_DOC } from './endpoint-docs.js';
import type { UpgradeEndpoint } from './upgrade.js';

/** Client frames are ignored; anything larger than this closes the socket with 1009 (SPEC §6). */
export const EVENTS_MAX_CLIENT_FRAME = 4096;
/** Backlog a subscriber may build before its queued events are dropped for a `_gap`. */
export const EVENTS_QUEUE_BYTES = 4 * 1024 * 1024;
/** A socket whose backlog makes no progress for this long is dropped (SPEC §6). */
export const EVENTS_WRITE_TIMEOUT_MS = 5_000;

/**
 * `WS /api/v1/integrations/_events` (SPEC §6). Before the upgrade: the query is validated
 * (400) and every topic's scope checked (403 naming the scope; admins bypass). After it:
 * `_hello`, the replay after `?since`, then live events the principal may see (tenancy:
 * an integration gets `session.*` / `integration.*` events only as their tenant), with a
 * bounded queue, `_gap` on loss, heartbeat, write timeout and 4001 on key revocation.
 */
export function createEventsCapability(ctx: GatewayContext): Capability {
  const wss = new WebSocketServer({ noServer: true, maxPayload: EVENTS_MAX_CLIENT_FRAME, perMessageDeflate: false });
  const onEncodeError = (err: unknown, topic: string): void => ctx.logger.error('event data not encodable', { topic, error: err });

  const open = (ws: WebSocket, principal: Principal, patterns: string[], since: number | null): void => {
    // ws closes the socket itself on a protocol error (1009 for a frame over 4 KiB) or a socket error.
    ws.on('error', () => undefined);
    // Client frames carry no meaning here; reading them keeps the heartbeat fed.
    ws.on('message', () => undefined);
    startHeartbeat(ws);
    startWriteTimeout(ws, EVENTS_WRITE_TIMEOUT_MS);
    // Revocation (rotate, disable, delete, narrowed scopes) closes it with 4001 (SPEC §2.2).
    if (principal.kind === 'integration') ctx.connections.track(principal.id, ws);
    attachSubscriber(ws, {
      bus: ctx.bus,
      patterns,
      visible: visibilityOf(principal),
      since,
      now: () => isoTime(ctx.clock.now()),
      queueBytes: EVENTS_QUEUE_BYTES,
      onEncodeError,
    });
  };

  const endpoint: UpgradeEndpoint = {
    path: '/integrations/_events',
    // Per-topic scopes are checked in `handle`, where the topics are known.
    access: 'authenticated',
    summary: 'Event stream: ?topics=a,b (trailing .*, *), ?since=<seq> to resume',
    doc: EVENTS_DOC,
    handle({ req, socket, head, principal, query }) {
      const asked = parseEventsQuery(query, req.url);
      const patterns = expandAllTopics(principal, asked.patterns);
      const since = asked.since;
      authorizeTopics(principal, patterns);
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, principal, patterns, since));
    },
  };

  return {
    upgrades: [endpoint],
    async stop() {
      for (const ws of wss.clients) closeHard(ws, CloseCode.goingAway, 'gateway shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
