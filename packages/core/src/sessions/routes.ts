import type { CreateSessionRequest, InputRequest, SessionState } from '@opendray/sdk/wire';
import type { Principal } from '../auth/principal.js';
import { ownedOr404, tenantOf } from '../auth/tenancy.js';
import { badRequest } from '../errors.js';
import { bytes, json, noContent, type Route } from '../http/route.js';
import type { SessionManager, SessionOwner } from './session-manager.js';
import { parseSince, parseSize } from './validate.js';

const STATES: readonly SessionState[] = ['running', 'idle', 'stopped', 'ended', 'interrupted'];
const MAX_HISTORY_LIMIT = 1000;

/**
 * The session routes of SPEC §4. Every route declares its scope; tenancy is enforced here
 * (an integration's view of another's session is the same 404 as a missing one).
 */
export function sessionRoutes(manager: SessionManager): Route[] {
  /** The session if `principal` may see it, else 404. */
  const visible = (principal: Principal | null, id: string | undefined) => ownedOr404(principal!, manager.get(id ?? ''), 'session');

  const ownerOf = (principal: Principal | null): SessionOwner | undefined =>
    principal?.kind === 'integration' ? { integrationId: principal.id, maxSessions: principal.maxSessions } : undefined;

  return [
    {
      method: 'POST',
      path: '/sessions',
      access: 'session:create',
      summary: 'Create a session (SPEC §5.2)',
      handler: async ({ body, principal }) => json(await manager.create(body as CreateSessionRequest, ownerOf(principal)), 201),
    },
    {
      method: 'GET',
      path: '/sessions',
      access: 'session:read',
      summary: 'List sessions; query state?, provider_id?',
      handler: ({ query, principal }) => {
        const state = query.get('state');
        if (state !== null && !STATES.includes(state as SessionState)) throw badRequest(`state: must be one of ${STATES.join(', ')}`);
        const provider = query.get('provider_id');
        const tenant = tenantOf(principal!);
        const sessions = manager.list({
          ...(state ? { state: state as SessionState } : {}),
          ...(provider ? { provider_id: provider } : {}),
        });
        // An integration lists only its own sessions (SPEC §3).
        return json({ sessions: principal!.kind === 'admin' ? sessions : sessions.filter((s) => s.integration_id === tenant) });
      },
    },
    {
      method: 'GET',
      path: '/sessions/{id}',
      access: 'session:read',
      summary: 'One session',
      handler: ({ params, principal }) => json(visible(principal, params.id)),
    },
    {
      method: 'DELETE',
      path: '/sessions/{id}',
      access: 'session:create',
      summary: 'Stop (if running) and forget a session',
      handler: async ({ params, principal }) => {
        await manager.delete(visible(principal, params.id).id);
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/sessions/{id}/stop',
      access: 'session:create',
      body: 'none',
      summary: 'Stop a session: SIGHUP/SIGTERM to its process group, SIGKILL after the grace',
      handler: async ({ params, principal }) => json(await manager.stop(visible(principal, params.id).id)),
    },
    {
      method: 'POST',
      path: '/sessions/{id}/start',
      access: 'session:create',
      body: 'none',
      summary: 'Restart an ended session under the same id (409 if running)',
      handler: async ({ params, principal }) => json(await manager.start(visible(principal, params.id).id, ownerOf(principal))),
    },
    {
      method: 'POST',
      path: '/sessions/{id}/input',
      access: 'session:input',
      summary: 'Send {data}, {text} or {keys} (SPEC §5.6); 409 if not running',
      handler: async ({ params, principal, body }) => {
        await manager.input(visible(principal, params.id).id, body as InputRequest);
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/sessions/{id}/resize',
      access: 'session:input',
      summary: 'Resize the terminal: {cols, rows} 1–1000',
      handler: ({ params, principal, body }) => {
        const session = visible(principal, params.id);
        const { cols, rows } = parseSize(body);
        manager.resize(session.id, cols, rows);
        return noContent();
      },
    },
    {
      method: 'GET',
      path: '/sessions/{id}/buffer',
      access: 'session:read',
      summary: 'Raw output bytes from ?since (SPEC §5.4)',
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const since = parseSince(query.get('since'));
        const slice = await manager.buffer(session.id, since);
        return bytes(slice.bytes, {
          'Content-Type': 'application/octet-stream',
          'X-OpenDray-Buffer-Start': String(slice.start),
          'X-OpenDray-Buffer-Cursor': String(slice.cursor),
        });
      },
    },
    {
      method: 'GET',
      path: '/sessions/{id}/history',
      access: 'session:read',
      summary: 'Submitted messages, oldest first; ?limit (default 200, max 1000)',
      handler: ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const raw = query.get('limit');
        const limit = raw === null ? 200 : Number(raw);
        if (!/^\d+$/.test(raw ?? '200') || limit < 1 || limit > MAX_HISTORY_LIMIT) {
          throw badRequest(`limit: must be an integer 1–${MAX_HISTORY_LIMIT}`);
        }
        return json({ entries: manager.history(session.id, limit) });
      },
    },
    {
      method: 'GET',
      path: '/sessions/{id}/screen',
      access: 'session:read',
      summary: 'The rendered screen: text lines, cursor, alt screen, title; ?format=ansi for repaint bytes',
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const format = query.get('format') ?? 'json';
        if (format === 'ansi') return bytes(await manager.screenAnsi(session.id), { 'Content-Type': 'application/octet-stream' });
        if (format !== 'json') throw badRequest('format: must be json or ansi');
        return json(await manager.screen(session.id));
      },
    },
  ];
}
