import {
  DEFAULT_HISTORY_LIMIT,
  CreateSessionRequest,
  HistoryList,
  HistoryQuery,
  InputRequest,
  ListSessionsQuery,
  ResizeRequest,
  Screen,
  ScreenQuery,
  Session,
  SessionList,
  SinceQuery,
} from '@opendray/sdk/wire';
import type { Principal } from '../auth/principal.js';
import { ownedOr404, tenantOf } from '../auth/tenancy.js';
import { IdParams } from '../http/params.js';
import { bytes, defineRoute, json, noContent, type Route } from '../http/route.js';
import { NoBody, OctetStream } from '../openapi/media.js';
import type { SessionManager, SessionOwner } from './session-manager.js';

const RUNNING_409 = 'The session is not running';

/**
 * The session routes of SPEC §4. Every route declares its scope; tenancy is enforced here
 * (an integration's view of another's session is the same 404 as a missing one).
 */
export function sessionRoutes(manager: SessionManager): Route[] {
  /** The session if `principal` may see it, else 404. */
  const visible = (principal: Principal | null, id: string) => ownedOr404(principal!, manager.get(id), 'session');

  const ownerOf = (principal: Principal | null): SessionOwner | undefined =>
    principal?.kind === 'integration' ? { integrationId: principal.id, maxSessions: principal.maxSessions } : undefined;

  return [
    defineRoute({
      method: 'POST',
      path: '/sessions',
      access: 'session:create',
      operationId: 'createSession',
      summary: 'Create a session (SPEC §5.2)',
      body: CreateSessionRequest,
      response: { 201: Session },
      errors: { 409: 'The provider is not installed or is disabled', 429: "The integration's max_sessions is reached" },
      handler: async ({ body, principal }) => json(await manager.create(body, ownerOf(principal)), 201),
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions',
      access: 'session:read',
      operationId: 'listSessions',
      summary: 'List sessions; query state?, provider_id?',
      query: ListSessionsQuery,
      response: { 200: SessionList },
      handler: ({ query, principal }) => {
        const tenant = tenantOf(principal!);
        const sessions = manager.list({
          ...(query.state ? { state: query.state } : {}),
          ...(query.provider_id ? { provider_id: query.provider_id } : {}),
        });
        // An integration lists only its own sessions (SPEC §3).
        return json({ sessions: principal!.kind === 'admin' ? sessions : sessions.filter((s) => s.integration_id === tenant) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/{id}',
      access: 'session:read',
      operationId: 'getSession',
      summary: 'One session',
      params: IdParams,
      response: { 200: Session },
      handler: ({ params, principal }) => json(visible(principal, params.id)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/sessions/{id}',
      access: 'session:create',
      operationId: 'deleteSession',
      summary: 'Stop (if running) and forget a session',
      params: IdParams,
      response: { 204: NoBody },
      handler: async ({ params, principal }) => {
        await manager.delete(visible(principal, params.id).id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/stop',
      access: 'session:create',
      operationId: 'stopSession',
      summary: 'Stop a session: SIGHUP/SIGTERM to its process group, SIGKILL after the grace',
      params: IdParams,
      body: 'none',
      response: { 200: Session },
      handler: async ({ params, principal }) => json(await manager.stop(visible(principal, params.id).id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/start',
      access: 'session:create',
      operationId: 'startSession',
      summary: 'Restart an ended session under the same id (409 if running)',
      params: IdParams,
      body: 'none',
      response: { 200: Session },
      errors: { 409: 'The session is running, or its provider is not installed', 429: "The integration's max_sessions is reached" },
      handler: async ({ params, principal }) => json(await manager.start(visible(principal, params.id).id, ownerOf(principal))),
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/input',
      access: 'session:input',
      operationId: 'sendInput',
      summary: 'Send {data}, {text} or {keys} (SPEC §5.6); 409 if not running',
      params: IdParams,
      body: InputRequest,
      response: { 204: NoBody },
      errors: { 409: RUNNING_409 },
      handler: async ({ params, principal, body }) => {
        await manager.input(visible(principal, params.id).id, body);
        return noContent();
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/resize',
      access: 'session:input',
      operationId: 'resize',
      summary: 'Resize the terminal: {cols, rows} 1–1000',
      params: IdParams,
      body: ResizeRequest,
      response: { 204: NoBody },
      errors: { 409: RUNNING_409 },
      handler: ({ params, principal, body }) => {
        manager.resize(visible(principal, params.id).id, body.cols, body.rows);
        return noContent();
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/{id}/buffer',
      access: 'session:read',
      operationId: 'getBuffer',
      summary: 'Raw output bytes from ?since (SPEC §5.4)',
      params: IdParams,
      query: SinceQuery,
      response: {
        200: {
          schema: OctetStream,
          description: 'Raw PTY bytes from max(since, oldest) to the end (SPEC §5.4)',
          headers: {
            'X-OpenDray-Buffer-Start': 'Offset of the first byte returned; greater than since means bytes were lost',
            'X-OpenDray-Buffer-Cursor': 'The next since',
          },
        },
      },
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const slice = await manager.buffer(session.id, query.since);
        return bytes(slice.bytes, {
          'Content-Type': 'application/octet-stream',
          'X-OpenDray-Buffer-Start': String(slice.start),
          'X-OpenDray-Buffer-Cursor': String(slice.cursor),
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/{id}/history',
      access: 'session:read',
      operationId: 'getHistory',
      summary: 'Submitted messages, oldest first; ?limit (default 200, max 1000)',
      params: IdParams,
      query: HistoryQuery,
      response: { 200: HistoryList },
      handler: ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        return json({ entries: manager.history(session.id, query.limit ?? DEFAULT_HISTORY_LIMIT) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/{id}/screen',
      access: 'session:read',
      operationId: 'getScreen',
      summary: 'The rendered screen: text lines, cursor, alt screen, title; ?format=ansi for repaint bytes',
      params: IdParams,
      query: ScreenQuery,
      response: { 200: { schema: [Screen, OctetStream], description: 'The rendered screen (JSON), or repaint bytes with ?format=ansi' } },
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        if (query.format === 'ansi') return bytes(await manager.screenAnsi(session.id), { 'Content-Type': 'application/octet-stream' });
        return json(await manager.screen(session.id));
      },
    }),
  ];
}
