import { LoginRequest, LoginResponse, Me, T, WsTicket } from '@opendray/sdk/wire';
import type { AdminAuth } from '../../auth/admin.js';
import { isAdmin } from '../../auth/principal.js';
import type { WsTickets } from '../../auth/ws-tickets.js';
import { NoBody } from '../../openapi/media.js';
import { defineRoute, json, noContent, type Route } from '../route.js';

/** `/auth/login` (public), `/auth/logout`, `/auth/me` (SPEC §2.1) and `/auth/ws-ticket` (docs/console.md). */
export function authRoutes(admin: AdminAuth, tickets: WsTickets): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/login',
      access: 'public',
      operationId: 'login',
      summary: 'Exchange the admin username and password for a token',
      body: LoginRequest,
      response: { 200: LoginResponse },
      errors: { 401: 'Invalid credentials', 429: 'Too many failed logins from this address' },
      async handler({ body, remoteAddr }) {
        return json(await admin.login(body.username, body.password, remoteAddr));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      access: 'authenticated',
      operationId: 'logout',
      summary: "Revoke the caller's admin token",
      body: T.Object({}),
      response: { 204: NoBody },
      async handler({ principal }) {
        if (principal?.kind === 'admin') await admin.logout(principal);
        return noContent();
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/ws-ticket',
      access: 'admin',
      operationId: 'createWsTicket',
      summary: 'A single-use ticket for one WebSocket upgrade (?ticket=), valid 30 s',
      description:
        'Opens one WebSocket upgrade as ?ticket=, within 30 s; the socket belongs to the credential that minted it ' +
        '(logging that token out closes it). For browsers, which cannot set Authorization on an upgrade.',
      body: T.Object({}),
      response: { 200: WsTicket },
      handler({ principal }) {
        if (!isAdmin(principal)) throw new Error('unreachable: access is admin');
        return json(tickets.mint(principal));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/me',
      access: 'authenticated',
      operationId: 'me',
      summary: 'Who the credential belongs to',
      response: { 200: Me },
      handler({ principal }) {
        const me: Me =
          principal!.kind === 'admin'
            ? { kind: 'admin', id: principal!.id, username: principal!.username }
            : { kind: 'integration', id: principal!.id, name: principal!.name, scopes: [...principal!.scopes] };
        return json(me);
      },
    }),
  ];
}
