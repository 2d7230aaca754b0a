import { STREAM_SUBPROTOCOL_V2, StreamQuery } from '@opendray/sdk/wire';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { principalHasScope } from '../auth/scopes.js';
import { missingScope } from '../errors.js';
import { canSeeSession } from '../auth/tenancy.js';
import type { GatewayContext } from '../context.js';
import { stripQueryReplies } from '../sessions/input.js';
import type { SessionManager } from '../sessions/session-manager.js';
import { StreamViewer, type StreamMode } from '../sessions/stream-viewer.js';
import { readQuery } from '../validation/query.js';
import { CloseCode } from './close-codes.js';
import { closeGracefully, closeHard } from './connections.js';
import { startHeartbeat } from './heartbeat.js';
import { STREAM_DOC } from './endpoint-docs.js';
import { parseClientControl } from './stream-control.js';
import type { UpgradeEndpoint } from './upgrade.js';

/** The stream endpoint plus a way to close its sockets at shutdown. */
export interface StreamEndpoint extends UpgradeEndpoint {
  /** Closes every stream socket with 1001; resolves once they are closed. */
  closeAll(): Promise<void>;
}

/**
 * `WS /sessions/{id}/stream` (SPEC §5.5): the compatible default mode (binary frames, every
 * client frame is input) or, when the client offers the `opendray.v2` subprotocol, raw
 * bytes both ways plus JSON control frames (`resize`, `flow`; anything else is answered
 * with an `error` frame). Reading needs `session:read` (checked before the upgrade, like a
 * bad `since` or `flow`: 400); a session the principal may not see (SPEC §3), deleted or
 * unknown gets the upgrade, one `{"type":"ended"}` and close 1001 (SPEC §16); writing needs
 * `session:input`, else the socket is closed with 4003. Client frames above the body limit
 * close the socket with 1009. A client with `session:input` becomes the session's driver
 * (flow control) when it asks (`?flow=ack`, a v2 `flow` frame; 403 without the scope) or
 * when it types; everyone else is a viewer (StreamViewer).
 */
export function createStreamEndpoint(ctx: GatewayContext, manager: SessionManager): StreamEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.options.bodyLimitBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(STREAM_SUBPROTOCOL_V2) ? STREAM_SUBPROTOCOL_V2 : false),
  });
  const { pingIntervalMs, pongTimeoutMs, streamStallMs } = ctx.options.sockets;

  return {
    path: '/sessions/{id}/stream',
    access: 'session:read',
    summary: 'Live terminal stream: default mode or the opendray.v2 subprotocol (writing needs session:input)',
    doc: STREAM_DOC,
    handle({ req, socket, head, principal, params, query }) {
      const id = params.id!;
      const { since, flow: flowQuery } = readQuery(StreamQuery, query);
      const flow = flowQuery === 'ack';
      const session = manager.get(id);
      // Deleted, unknown or not visible: v2 upgrades, says `ended` and goes away (1001), so a
      // reconnect loop stops, where a 404 would make it spin (SPEC §16).
      if (!session || !canSeeSession(principal, session)) {
        return wss.handleUpgrade(req, socket, head, (ws) => {
          ctx.connections.track(principal, ws);
          ws.on('error', () => undefined);
          sayEnded(ws);
        });
      }
      const canWrite = principalHasScope(principal, 'session:input');
      // Pacing the PTY is a writer's privilege: a read-only viewer can never pause anything.
      if (flow && !canWrite) throw missingScope('session:input');
      wss.handleUpgrade(req, socket, head, (ws) => {
        ctx.connections.track(principal, ws);
        ws.on('error', (err) => ctx.logger.debug('stream socket error', { session_id: id, error: err }));
        const mode: StreamMode = ws.protocol === STREAM_SUBPROTOCOL_V2 ? 'v2' : 'default';
        const viewer = new StreamViewer(ws, { mode, stallMs: streamStallMs, logger: ctx.logger, sessionId: id });
        startHeartbeat(ws, {
          intervalMs: pingIntervalMs,
          timeoutMs: pongTimeoutMs,
          lastActivity: () => viewer.lastReadAt,
          onDrop: () => ctx.logger.info('stream client left a ping unanswered; closed', { session_id: id, timeout_ms: pongTimeoutMs }),
        });
        ws.on('message', (data, isBinary) => onClientFrame(ws, viewer, mode, toBuffer(data), isBinary));
        manager.attach(id, viewer, since).then(
          (attachment) => viewer.start(attachment, since, flow),
          // Deleted while attaching: the same answer as for a deleted session.
          () => sayEnded(ws),
        );
      });

      function onClientFrame(ws: WebSocket, viewer: StreamViewer, mode: StreamMode, data: Buffer, isBinary: boolean): void {
        if (mode === 'v2' && !isBinary) return onControl(ws, viewer, data);
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, 'missing scope: session:input');
        // A viewer's emulator answers queries in the replayed ring; those answers are not input.
        const input = stripQueryReplies(data);
        if (input.length === 0) return;
        // Whoever types drives, like the last active client of a tmux session (SPEC §5.5).
        viewer.claim(false);
        try {
          manager.write(id, input);
        } catch {
          // The session is not running (or is gone): keystrokes have nowhere to go.
        }
      }

      function onControl(ws: WebSocket, viewer: StreamViewer, data: Buffer): void {
        const parsed = parseClientControl(data);
        if (!parsed.ok) return viewer.control(parsed.error);
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, 'missing scope: session:input');
        const control = parsed.control;
        if (control.type === 'flow') return control.mode === 'ack' ? viewer.claim(true) : viewer.release();
        try {
          manager.resize(id, control.cols, control.rows);
        } catch {
          // Not running: nothing to resize.
        }
      }
    },
    async closeAll() {
      await Promise.all([...wss.clients].map((ws) => closeGracefully(ws, CloseCode.goingAway, 'gateway shutting down')));
    },
  };
}

/** The answer for a session that is gone or not visible: `{"type":"ended"}`, then 1001 (SPEC §16). */
function sayEnded(ws: WebSocket): void {
  ws.send(JSON.stringify({ type: 'ended' }), () => closeHard(ws, CloseCode.goingAway, 'session ended'));
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
