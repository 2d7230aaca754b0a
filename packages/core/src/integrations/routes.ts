import type { CallLog } from '../calllog/types.js';
import { parseCallQuery } from '../calllog/query.js';
import { json, noContent, type Route } from '../http/route.js';
import type { IntegrationService } from './service.js';
import { parsePatch, parseRegister, parseRotate } from './validate.js';

/** The admin routes of the integration registry and the call log (SPEC §4, §10). */
export function integrationRoutes(service: IntegrationService, callLog: CallLog): Route[] {
  return [
    {
      method: 'POST',
      path: '/integrations',
      access: 'admin',
      summary: 'Register an integration; the API key is shown only in this answer',
      async handler({ body }) {
        return json(await service.register(parseRegister(body)), 201);
      },
    },
    {
      method: 'GET',
      path: '/integrations',
      access: 'admin',
      summary: 'List integrations',
      async handler() {
        return json({ integrations: await service.list() });
      },
    },
    {
      method: 'GET',
      path: '/integrations/_calls',
      access: 'admin',
      summary: 'Query the call log, newest first',
      async handler({ query }) {
        return json(await callLog.query(parseCallQuery(query)));
      },
    },
    {
      method: 'GET',
      path: '/integrations/{id}',
      access: 'admin',
      summary: 'One integration',
      async handler({ params }) {
        return json(await service.get(params.id!));
      },
    },
    {
      method: 'PATCH',
      path: '/integrations/{id}',
      access: 'admin',
      summary: 'Change base_url, route_prefix, scopes, version, enabled or max_sessions',
      async handler({ params, body }) {
        return json(await service.update(params.id!, parsePatch(body)));
      },
    },
    {
      method: 'DELETE',
      path: '/integrations/{id}',
      access: 'admin',
      summary: 'Delete an integration (its sessions are stopped, its call-log rows kept)',
      async handler({ params }) {
        await service.remove(params.id!);
        return noContent();
      },
    },
    {
      method: 'POST',
      path: '/integrations/{id}/rotate-key',
      access: 'admin',
      summary: 'Issue a new API key; the old one dies now or after grace_seconds',
      async handler({ params, body }) {
        const { graceSeconds } = parseRotate(body);
        return json(await service.rotate(params.id!, graceSeconds));
      },
    },
  ];
}
