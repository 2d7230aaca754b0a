import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';
import { isoTime } from '../clock.js';
import type { Capability, GatewayContext } from '../context.js';
import { authorizeTopics, expandAllTopics, visibilityOf } from '../events/access.js';
import { parseEventsQuery } from '../events/query.js';
import { attachSubscriber } from '../events/subscriber.js';
import { Outbound, closeBehindBacklog } from './backpressure.js';
import { CloseCode } from './close-codes.js';
import { closeGracefully } from './connections.js';
import { startHeartbeat } from './heartbeat.js';
import { EVENTS_DOC } from './endpoint-docs.js';
import type { UpgradeEndpoint } from './upgrade.js';

/** Client frames are ignored; anything larger than this closes the socket with 1009 (SPEC §6). */
export const EVENTS_MAX_CLIENT_FRAME = 4096;
/** Backlog a subscriber may build before its queued events are dropped for a `_gap`. */
export const EVENTS_QUEUE_BYTES = 4 * 1024 * 1024;

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
  const { pingIntervalMs, pongTimeoutMs, eventsStallMs } = ctx.options.sockets;

  const open = (ws: WebSocket, principal: Principal, patterns: string[], since: number | null): void => {
    // ws closes the socket itself on a protocol error (1009 for a frame over 4 KiB) or a socket error.
    ws.on('error', () => undefined);
    // Client frames carry no meaning here; reading them keeps the heartbeat fed.
    ws.on('message', () => undefined);
    // SPEC §6 write timeout: a backlog that does not move for `eventsStallMs` is a consumer
    // that stopped reading; it gets 1013 behind its backlog (a `_gap` if it came back sooner).
    const out = new Outbound(ws, {
      stallMs: eventsStallMs,
      onStall: () => {
        ctx.logger.info('events subscriber stopped reading; closed', { stall_ms: eventsStallMs });
        closeBehindBacklog(ws, CloseCode.tryAgainLater, `stopped reading for ${Math.round(eventsStallMs / 1000)} s`, eventsStallMs);
      },
    });
    startHeartbeat(ws, {
      intervalMs: pingIntervalMs,
      timeoutMs: pongTimeoutMs,
      lastActivity: () => out.lastReadAt,
      onDrop: () => ctx.logger.info('events subscriber left a ping unanswered; closed', { timeout_ms: pongTimeoutMs }),
    });
    // Closed with 4001 the moment its credential stops being valid (SPEC §2.2): logout,
    // expiry, rotation, grace end, disable, delete (4003 for narrowed scopes).
    ctx.connections.track(principal, ws);
    attachSubscriber(ws, {
      bus: ctx.bus,
      patterns,
      visible: visibilityOf(principal),
      since,
      now: () => isoTime(ctx.clock.now()),
      queueBytes: EVENTS_QUEUE_BYTES,
      onEncodeError,
      out,
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
      await Promise.all([...wss.clients].map((ws) => closeGracefully(ws, CloseCode.goingAway, 'gateway shutting down')));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
