import { AnyObject, T } from '@opendray/sdk/wire';
import { buildOpenApiDocument, type OpenApiDocument } from '../../openapi/document.js';
import type { UpgradeEndpoint } from '../../ws/upgrade.js';
import { defineRoute, json, type Route } from '../route.js';

const OpenApiDocumentSchema = T.Object({ openapi: T.String(), info: AnyObject(), paths: AnyObject() }, { description: 'This document' });

/**
 * `GET /openapi.json` (public, SPEC §4): the OpenAPI 3.1 description of every REST route
 * and WebSocket endpoint. `routes` is read on the first request, once the table (this
 * route included) is complete; the document is then cached, as the table never changes.
 */
export function openApiRoutes(routes: () => readonly Route[], upgrades: readonly UpgradeEndpoint[]): Route[] {
  let document: OpenApiDocument | null = null;
  return [
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      access: 'public',
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document',
      response: { 200: OpenApiDocumentSchema },
      handler() {
        document ??= buildOpenApiDocument(routes(), upgrades);
        return json(document);
      },
    }),
  ];
}
