import {
  CallPage,
  CallQuery,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SCOPES,
  Integration,
  IntegrationList,
  IntegrationWithKey,
  RegisterIntegrationRequest,
  RotateKeyRequest,
  UpdateIntegrationRequest,
} from '@opendray/sdk/wire';
import { normalizeCallQuery } from '../calllog/query.js';
import type { CallLog } from '../calllog/types.js';
import { IdParams } from '../http/params.js';
import { defineRoute, json, noContent, type Route } from '../http/route.js';
import { NoBody } from '../openapi/media.js';
import { normalizeBaseUrl, uniqueScopes, type IntegrationService } from './service.js';

/** The admin routes of the integration registry and the call log (SPEC §4, §10). */
export function integrationRoutes(service: IntegrationService, callLog: CallLog): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/integrations',
      access: 'admin',
      operationId: 'createIntegration',
      summary: 'Register an integration; the API key is shown only in this answer',
      body: RegisterIntegrationRequest,
      response: { 201: IntegrationWithKey },
      errors: { 409: 'Duplicate name or route_prefix' },
      async handler({ body }) {
        const registered = await service.register({
          name: body.name,
          base_url: normalizeBaseUrl(body.base_url ?? ''),
          route_prefix: body.route_prefix ?? '',
          scopes: uniqueScopes(body.scopes ?? DEFAULT_SCOPES),
          ...(body.version ? { version: body.version } : {}),
          max_sessions: body.max_sessions ?? DEFAULT_MAX_SESSIONS,
        });
        return json(registered, 201);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/integrations',
      access: 'admin',
      operationId: 'listIntegrations',
      summary: 'List integrations',
      response: { 200: IntegrationList },
      async handler() {
        return json({ integrations: await service.list() });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/integrations/_calls',
      access: 'admin',
      operationId: 'listCalls',
      summary: 'Query the call log, newest first',
      query: CallQuery,
      response: { 200: CallPage },
      async handler({ query }) {
        return json(await callLog.query(normalizeCallQuery(query)));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/integrations/{id}',
      access: 'admin',
      operationId: 'getIntegration',
      summary: 'One integration',
      params: IdParams,
      response: { 200: Integration },
      async handler({ params }) {
        return json(await service.get(params.id));
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/integrations/{id}',
      access: 'admin',
      operationId: 'updateIntegration',
      summary: 'Change base_url, route_prefix, scopes, version, enabled or max_sessions',
      params: IdParams,
      body: UpdateIntegrationRequest,
      response: { 200: Integration },
      errors: { 409: 'Duplicate route_prefix' },
      async handler({ params, body }) {
        const { base_url, scopes, ...rest } = body;
        const patch = {
          ...rest,
          ...(base_url !== undefined ? { base_url: normalizeBaseUrl(base_url) } : {}),
          ...(scopes !== undefined ? { scopes: uniqueScopes(scopes) } : {}),
        };
        return json(await service.update(params.id, patch));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/integrations/{id}',
      access: 'admin',
      operationId: 'deleteIntegration',
      summary: 'Delete an integration (its sessions are stopped, its call-log rows kept)',
      params: IdParams,
      response: { 204: NoBody },
      async handler({ params }) {
        await service.remove(params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/integrations/{id}/rotate-key',
      access: 'admin',
      operationId: 'rotateKey',
      summary: 'Issue a new API key; the old one dies now or after grace_seconds',
      params: IdParams,
      body: RotateKeyRequest,
      response: { 200: IntegrationWithKey },
      async handler({ params, body }) {
        return json(await service.rotate(params.id, body.grace_seconds ?? 0));
      },
    }),
  ];
}
