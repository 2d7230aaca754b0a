import { LoginRequest, LoginResponse, Me, T } from '@opendray/sdk/wire';
import type { AdminAuth } from '../../auth/admin.js';
import { NoBody } from '../../openapi/media.js';
import { defineRoute, json, noContent, type Route } from '../route.js';

/** `/auth/login` (public), `/auth/logout` and `/auth/me` (SPEC §2.1). */
export function authRoutes(admin: AdminAuth): Route[] {
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
