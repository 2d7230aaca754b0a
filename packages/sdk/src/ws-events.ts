import { OpendrayError } from './errors.js';
import type { SocketContext } from './reconnect.js';
import { openSocket, toWsUrl, type SocketHandle } from './socket.js';
import type { EventFrame } from './wire.js';

/** What `wsEvents()` returns: the v2 SDK's handle, plus a promise of the open socket. */
export interface WsEventsHandle {
  /** Closes the socket (code 1000); `onClose` then fires once. */
  close(): void;
  /** Resolves when the socket is open; rejects if it never opens. */
  readonly opened: Promise<void>;
}

/**
 * The opendray-v2 SDK's shape, for integrations written against it: one socket on
 * `/integrations/_events`, every frame to `onEvent`, `onClose(code, reason)` once when it
 * closes. Like v2 it does not reconnect (its callers reconnect from `onClose`); use
 * `client.events()` for reconnection with resume. A refused upgrade closes with 1006 and
 * passes the gateway's error as a third argument.
 */
export function openWsEvents(
  ctx: SocketContext,
  topics: readonly string[] | string,
  onEvent: (event: EventFrame) => void,
  onClose?: (code: number, reason: string, error?: OpendrayError) => void,
): WsEventsHandle {
  const list = typeof topics === 'string' ? topics : topics.join(',');
  const url = toWsUrl(ctx.transport.url('/integrations/_events', { topics: list }));
  let socket: SocketHandle | null = null;
  let closeRequested = false;
  let markOpen!: () => void;
  let markFailed!: (err: OpendrayError) => void;
  const opened = new Promise<void>((resolve, reject) => {
    markOpen = resolve;
    markFailed = reject;
  });
  opened.catch(() => undefined);

  const finish = (code: number, reason: string, error?: OpendrayError): void => {
    markFailed(error ?? new OpendrayError(0, 'network_error', `socket closed before it opened (${code})`));
    onClose?.(code, reason, error);
  };
  openSocket(
    { url, protocols: [], token: ctx.transport.token, WebSocket: ctx.WebSocket, ticket: ctx.ticket },
    {
      onOpen: () => markOpen(),
      onMessage: (data) => {
        if (typeof data !== 'string') return;
        let frame: EventFrame;
        try {
          frame = JSON.parse(data) as EventFrame;
        } catch {
          return;
        }
        if (frame && typeof frame.topic === 'string') onEvent(frame);
      },
      onClose: (end) => finish(end.code, end.refusal ? end.refusal.message : end.reason, end.refusal),
    },
  ).then(
    (s) => {
      socket = s;
      if (closeRequested) s.close(1000, 'client closed');
    },
    (cause: unknown) => finish(1006, String(cause), new OpendrayError(0, 'network_error', String(cause), { cause })),
  );
  return {
    opened,
    close() {
      closeRequested = true;
      socket?.close(1000, 'client closed');
    },
  };
}
