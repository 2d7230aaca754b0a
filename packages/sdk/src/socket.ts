import { errorFromAnswer, type OpendrayError } from './errors.js';

/**
 * The part of the standard `WebSocket` the SDK uses. The browser's `WebSocket`, Node ≥ 22's
 * global one and the `ws` package's class all fit. Handler properties are typed `unknown`
 * because each implementation types its event objects differently; the SDK only reads
 * `data`, `code` and `reason` from them.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A `WebSocket` class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Why a socket ended: its close code and, when the upgrade itself was refused, the HTTP error. */
export interface SocketEnd {
  code: number;
  reason: string;
  /** Whether the socket had opened. */
  opened: boolean;
  /** The gateway's refusal of the upgrade, when the implementation exposes it (the `ws` package does). */
  refusal?: OpendrayError;
}

export interface SocketHandlers {
  onOpen(protocol: string): void;
  /** Text frames arrive as strings, binary frames as bytes. */
  onMessage(data: string | Uint8Array): void;
  /** Called exactly once, however the socket ended. */
  onClose(end: SocketEnd): void;
}

export interface SocketHandle {
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
}

interface WsModuleSocket extends WebSocketLike {
  on(event: 'unexpected-response', fn: (req: { destroy(): void }, res: AsyncIterable<Uint8Array> & { statusCode?: number; headers: Record<string, string | string[] | undefined> }) => void): void;
  terminate(): void;
}
type WsModuleConstructor = new (url: string, protocols: string[], options: { headers: Record<string, string> }) => WsModuleSocket;

let wsModule: Promise<WsModuleConstructor> | null = null;

// Node 20 has no global WebSocket: the `ws` package is loaded only then, so a browser
// bundle (where a global always exists; the package's `browser` field maps `ws` away) never runs it.
function loadWs(): Promise<WsModuleConstructor> {
  wsModule ??= import('ws').then((m) => (m as unknown as { WebSocket: WsModuleConstructor }).WebSocket);
  return wsModule;
}

/** How a socket proves its credential when `ticket` is set: a fresh single-use ticket per connection. */
export type TicketMinter = () => Promise<string>;

/**
 * Opens a WebSocket to `url` with `protocols`, authenticated with `token`: through the
 * `Authorization` header where the implementation allows it (the `ws` package), else the
 * `?token=` query parameter the gateway accepts on upgrades (SPEC §1). With `ticket`, a
 * freshly minted single-use `?ticket=` instead, so the token never appears in a URL.
 */
export async function openSocket(
  cfg: { url: string; protocols: string[]; token: string | undefined; WebSocket: WebSocketConstructor | undefined; ticket?: TicketMinter | undefined },
  handlers: SocketHandlers,
): Promise<SocketHandle> {
  let socket: WebSocketLike;
  let refusal: OpendrayError | undefined;
  const injected = cfg.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  const url = new URL(cfg.url);
  const ticket = cfg.ticket && cfg.token ? await cfg.ticket() : undefined;
  if (ticket) url.searchParams.set('ticket', ticket);
  if (injected) {
    if (cfg.token && !ticket) url.searchParams.set('token', cfg.token);
    socket = new injected(url.toString(), cfg.protocols);
  } else {
    const Ws = await loadWs();
    const headers: Record<string, string> = cfg.token && !ticket ? { authorization: `Bearer ${cfg.token}` } : {};
    const ws = new Ws(url.toString(), cfg.protocols, { headers });
    ws.on('unexpected-response', (req, res) => {
      void (async () => {
        let text = '';
        try {
          for await (const chunk of res) text += new TextDecoder().decode(chunk);
        } catch {
          // the body is informative only
        }
        const status = res.statusCode ?? 0;
        refusal = status ? errorFromAnswer(status, text, headerGetter(res.headers)) : undefined;
        req.destroy();
        ws.terminate();
      })();
    });
    socket = ws;
  }
  socket.binaryType = 'arraybuffer';
  let opened = false;
  let ended = false;
  socket.onopen = () => {
    opened = true;
    handlers.onOpen(socket.protocol);
  };
  socket.onmessage = (ev: { data: unknown }) => {
    const data = ev.data;
    if (typeof data === 'string') handlers.onMessage(data);
    else if (data instanceof ArrayBuffer) handlers.onMessage(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) handlers.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  socket.onerror = () => {
    // the close event that always follows carries what we report
  };
  socket.onclose = (ev: { code?: number; reason?: string }) => {
    if (ended) return;
    ended = true;
    handlers.onClose({ code: ev.code ?? 1006, reason: ev.reason ?? '', opened, refusal });
  };
  return {
    send: (data) => socket.send(data),
    close: (code, reason) => {
      try {
        socket.close(code, reason);
      } catch {
        socket.close();
      }
    },
    get isOpen() {
      return socket.readyState === 1;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}

function headerGetter(headers: Record<string, string | string[] | undefined>): { get(name: string): string | null } {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    },
  };
}

/** The `ws://` / `wss://` URL of an `http(s)://` one. */
export function toWsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/i, 'ws');
}
