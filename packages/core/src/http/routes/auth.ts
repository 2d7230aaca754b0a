import type { Me } from '@opendray/sdk/wire';
import type { AdminAuth } from '../../auth/admin.js';
import { badRequest } from '../../errors.js';
import { json, noContent, type Route } from '../route.js';

/** `/auth/login` (public), `/auth/logout` and `/auth/me` (SPEC §2.1). */
export function authRoutes(admin: AdminAuth): Route[] {
  return [
    {
      method: 'POST',
      path: '/auth/login',
      access: 'public',
      summary: 'Exchange the admin username and password for a token',
      async handler({ body, remoteAddr }) {
        const { username, password } = (body ?? {}) as Record<string, unknown>;
        if (typeof username !== 'string' || username === '' || username.length > 256) {
          throw badRequest('username: required string (1–256 characters)');
        }
        if (typeof password !== 'string' || password === '' || password.length > 1024) {
          throw badRequest('password: required string (1–1024 characters)');
        }
        return json(await admin.login(username, password, remoteAddr));
      },
    },
    {
      method: 'POST',
      path: '/auth/logout',
      access: 'authenticated',
      summary: "Revoke the caller's admin token",
      async handler({ principal }) {
        if (principal?.kind === 'admin') await admin.logout(principal);
        return noContent();
      },
    },
    {
      method: 'GET',
      path: '/auth/me',
      access: 'authenticated',
      summary: 'Who the credential belongs to',
      handler({ principal }) {
        const me: Me =
          principal!.kind === 'admin'
            ? { kind: 'admin', id: principal!.id, username: principal!.username }
            : { kind: 'integration', id: principal!.id, name: principal!.name, scopes: [...principal!.scopes] };
        return json(me);
      },
    },
  ];
}
