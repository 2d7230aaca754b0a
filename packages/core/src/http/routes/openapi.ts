import { AnyObject, T } from '@opendray/sdk/wire';
import { buildAsyncApiDocument, type AsyncApiDocument } from '../../asyncapi/document.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../../openapi/document.js';
import type { UpgradeEndpoint } from '../../ws/upgrade.js';
import { defineRoute, json, type Route } from '../route.js';

const OpenApiDocumentSchema = T.Object({ openapi: T.String(), info: AnyObject(), paths: AnyObject() }, { description: 'This document' });
const AsyncApiDocumentSchema = T.Object(
  { asyncapi: T.String(), info: AnyObject(), channels: AnyObject(), operations: AnyObject() },
  { description: 'The AsyncAPI 3.0 document of the WebSockets' },
);

/**
 * `GET /openapi.json` (public, SPEC §4): the OpenAPI 3.1 description of every REST route
 * and WebSocket endpoint; `GET /asyncapi.json` (public, beyond): the AsyncAPI 3.0
 * description of the WebSockets and every event payload. `routes` is read on the first
 * request, once the table (these routes included) is complete; each document is then
 * cached, as the table never changes.
 */
export function openApiRoutes(routes: () => readonly Route[], upgrades: readonly UpgradeEndpoint[]): Route[] {
  let document: OpenApiDocument | null = null;
  let asyncapi: AsyncApiDocument | null = null;
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
    defineRoute({
      method: 'GET',
      path: '/asyncapi.json',
      access: 'public',
      operationId: 'asyncapi',
      summary: 'The AsyncAPI 3.0 document of both WebSockets and every event topic',
      response: { 200: AsyncApiDocumentSchema },
      handler() {
        asyncapi ??= buildAsyncApiDocument(upgrades);
        return json(asyncapi);
      },
    }),
  ];
}
