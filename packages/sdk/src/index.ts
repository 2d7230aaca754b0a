/**
 * `@opendray/sdk`: a typed client for the opendray gateway (SPEC §13). This entry is
 * browser-safe (no Node built-ins); `FileKeyStore` lives in `@opendray/sdk/node`.
 */
export { OpendrayClient, type OpendrayClientOptions, type ApiCallInit, type BufferChunk } from './client.js';
export {
  OpendrayError,
  isOpendrayError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  type OpendrayErrorCode,
} from './errors.js';
export type { CallOptions, FetchLike, Query, UnauthorizedHandler } from './http.js';
export type { EventStream, EventsOptions } from './events.js';
export type { WsEventsHandle } from './ws-events.js';
export type { AttachOptions, Attachment, AttachEnd, ExitInfo, HelloInfo } from './attach.js';
export type { BackoffOptions } from './backoff.js';
export type { TicketMinter, WebSocketConstructor, WebSocketLike } from './socket.js';
export { MemoryKeyStore, type KeyStore, type StoredKey } from './keystore.js';
export { withKeyRecovery, type KeyRecoveryOptions } from './rotation.js';
export * from './wire.js';

import type { OpendrayError } from './errors.js';
import type { EventFrame } from './wire.js';
/** The v2 SDK's name for an event frame. */
export type BusEvent = EventFrame;
/** The v2 SDK's name for the error type. */
export type ApiError = OpendrayError;
