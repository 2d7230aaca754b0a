import { SinceQuery, STREAM_SUBPROTOCOL_V2 } from '@opendray/sdk/wire';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { principalHasScope } from '../auth/scopes.js';
import { ownedOr404 } from '../auth/tenancy.js';
import type { GatewayContext } from '../context.js';
import { stripQueryReplies } from '../sessions/input.js';
import type { SessionManager } from '../sessions/session-manager.js';
import { StreamViewer, type StreamMode } from '../sessions/stream-viewer.js';
import { readQuery } from '../validation/query.js';
import { CloseCode } from './close-codes.js';
import { closeHard } from './connections.js';
import { startHeartbeat } from './heartbeat.js';
import { STREAM_DOC } from './endpoint-docs.js';
import type { UpgradeEndpoint } from './upgrade.js';

/** The stream endpoint plus a way to close its sockets at shutdown. */
export interface StreamEndpoint extends UpgradeEndpoint {
  closeAll(): void;
}

/**
 * `WS /sessions/{id}/stream` (SPEC §5.5): the compatible default mode (binary frames, every
 * client frame is input) or, when the client offers the `opendray.v2` subprotocol, raw
 * bytes both ways plus JSON control frames. Reading needs `session:read` and tenancy
 * (checked before the upgrade: 404 for another integration's session, 400 for a bad
 * `since`); writing needs `session:input`, else the socket is closed with 4003. Client
 * frames above the body limit close the socket with 1009.
 */
export function createStreamEndpoint(ctx: GatewayContext, manager: SessionManager): StreamEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.options.bodyLimitBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(STREAM_SUBPROTOCOL_V2) ? STREAM_SUBPROTOCOL_V2 : false),
  });

  return {
    path: '/sessions/{id}/stream',
    access: 'session:read',
    summary: 'Live terminal stream: default mode or the opendray.v2 subprotocol (writing needs session:input)',
    doc: STREAM_DOC,
    handle({ req, socket, head, principal, params, query }) {
      const id = params.id!;
      ownedOr404(principal, manager.get(id), 'session');
      const { since } = readQuery(SinceQuery, query);
      const canWrite = principalHasScope(principal, 'session:input');
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (principal.kind === 'integration') ctx.connections.track(principal.id, ws);
        ws.on('error', (err) => ctx.logger.debug('stream socket error', { session_id: id, error: err }));
        startHeartbeat(ws);
        const mode: StreamMode = ws.protocol === STREAM_SUBPROTOCOL_V2 ? 'v2' : 'default';
        const viewer = new StreamViewer(ws, mode);
        ws.on('message', (data, isBinary) => onClientFrame(ws, mode, toBuffer(data), isBinary));
        manager.attach(id, viewer, since).then(
          (attachment) => viewer.start(attachment, since),
          () => closeHard(ws, CloseCode.goingAway, 'session gone'),
        );
      });

      function onClientFrame(ws: WebSocket, mode: StreamMode, data: Buffer, isBinary: boolean): void {
        if (mode === 'v2' && !isBinary) return onControl(ws, data);
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, 'missing scope: session:input');
        // A viewer's emulator answers queries in the replayed ring; those answers are not input.
        const input = stripQueryReplies(data);
        if (input.length === 0) return;
        try {
          manager.write(id, input);
        } catch {
          // The session is not running (or is gone): keystrokes have nowhere to go.
        }
      }

      function onControl(ws: WebSocket, data: Buffer): void {
        let msg: unknown;
        try {
          msg = JSON.parse(data.toString('utf8'));
        } catch {
          return; // not JSON: ignored, like any unknown control frame
        }
        const m = msg as { type?: unknown; cols?: unknown; rows?: unknown } | null;
        if (m?.type !== 'resize' || !isSize(m.cols) || !isSize(m.rows)) return;
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, 'missing scope: session:input');
        try {
          manager.resize(id, m.cols, m.rows);
        } catch {
          // Not running: nothing to resize.
        }
      }
    },
    closeAll() {
      for (const ws of wss.clients) closeHard(ws, CloseCode.goingAway, 'gateway shutting down');
    },
  };
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
