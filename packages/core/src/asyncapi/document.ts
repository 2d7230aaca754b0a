import { schemaName, type TSchema } from '@opendray/sdk/wire';
import { CORE_VERSION } from '../defaults.js';
import { openApiPath } from '../openapi/document.js';
import { SchemaRegistry } from '../openapi/json-schema.js';
import type { UpgradeEndpoint } from '../ws/upgrade.js';

type Json = Record<string, unknown>;

/** An AsyncAPI 3.0 document (the parts opendray fills in). */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string; license: { name: string } };
  defaultContentType: string;
  servers: Record<string, Json>;
  channels: Record<string, Json>;
  operations: Record<string, Json>;
  components: { schemas: Record<string, Json>; messages: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const SCHEMA_FORMAT = 'application/schema+json;version=draft-2020-12';
const PREFIX = '#/components/schemas/';

/**
 * The AsyncAPI 3.0 description of every WebSocket endpoint (SPEC §5.5, §6, §8), derived
 * from the endpoints' `doc`: one channel per endpoint, one message per member of its frame
 * unions (for the events socket: one per topic, its payload the topic's schema from
 * `@opendray/sdk/wire`, plus `_hello` and `_gap`), binary frames as opaque messages, a
 * receive and a send operation per channel. Payloads are JSON Schema 2020-12.
 */
export function buildAsyncApiDocument(upgrades: readonly UpgradeEndpoint[]): AsyncApiDocument {
  const schemas = new SchemaRegistry(PREFIX);
  const messages: Record<string, Json> = {};
  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  for (const endpoint of upgrades) {
    const doc = endpoint.doc;
    if (!doc) continue;
    const channelId = doc.operationId;
    const channelMessages: Record<string, Json> = {};
    const byDirection: Record<'server' | 'client', string[]> = { server: [], client: [] };
    for (const side of ['server', 'client'] as const) {
      const frames = doc.frames[side];
      for (const member of frames ? membersOf(frames) : []) {
        let id = messageId(channelId, side, member);
        // Two members with one tag (the v2 and the default-mode `ended`): the later goes by its name.
        if (channelMessages[id]) id = `${channelId}.${side}.${schemaName(member) ?? `frame${Object.keys(channelMessages).length}`}`;
        messages[id] ??= { name: id, title: titleOf(member), contentType: 'application/json', payload: { schemaFormat: SCHEMA_FORMAT, schema: schemas.ref(member) } };
        channelMessages[id] = { $ref: `#/components/messages/${id}` };
        byDirection[side].push(id);
      }
      const binary = doc.binary?.[side];
      if (binary) {
        const id = `${channelId}.${side}.binary`;
        messages[id] = { name: id, title: 'Binary frame', summary: binary, contentType: 'application/octet-stream', payload: { schemaFormat: SCHEMA_FORMAT, schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };
        channelMessages[id] = { $ref: `#/components/messages/${id}` };
        byDirection[side].push(id);
      }
    }
    const query = doc.query ? schemas.ref(doc.query) : undefined;
    channels[channelId] = {
      address: openApiPath(endpoint.path),
      title: endpoint.summary ?? channelId,
      description: doc.description,
      ...(parametersOf(endpoint.path) ? { parameters: parametersOf(endpoint.path) } : {}),
      messages: channelMessages,
      bindings: { ws: { method: 'GET', ...(query ? { query } : {}), bindingVersion: '0.1.0' } },
      'x-opendray-scope': typeof endpoint.access === 'string' ? endpoint.access : { anyOf: [...endpoint.access.anyOf] },
      ...(doc.subprotocols?.length ? { 'x-opendray-subprotocols': [...doc.subprotocols] } : {}),
    };
    for (const [side, action] of [['server', 'receive'], ['client', 'send']] as const) {
      if (!byDirection[side].length) continue;
      operations[`${action}${channelId[0]!.toUpperCase()}${channelId.slice(1)}`] = {
        action,
        channel: { $ref: `#/channels/${channelId}` },
        summary: action === 'receive' ? 'Frames the gateway sends' : 'Frames the client sends',
        messages: byDirection[side].map((id) => ({ $ref: `#/channels/${channelId}/messages/${escapePointer(id)}` })),
        ...(endpoint.access === 'public' ? {} : { security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/queryToken' }] }),
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'opendray gateway WebSockets',
      version: CORE_VERSION,
      description:
        'The two WebSockets of the gateway (events, terminal stream) and the proxied ones, with every event payload. ' +
        'Objects may gain fields (wire compatibility); clients must ignore unknown ones. REST: /api/v1/openapi.json.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/api/v1',
        description: 'This gateway (wss behind TLS)',
        variables: { host: { default: '127.0.0.1:8770', description: 'The gateway address' } },
      },
    },
    channels,
    operations,
    components: {
      schemas: schemas.components,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An admin token or an integration key odk_live_… (Authorization header)' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The same credential as ?token= (browsers cannot set headers on upgrades)' },
      },
    },
  };
}

/** The members of a frame union, nested unions flattened (each member its own message), or the schema itself. */
function membersOf(schema: TSchema): TSchema[] {
  const branches = (schema.anyOf ?? schema.oneOf) as TSchema[] | undefined;
  return branches ? branches.flatMap(membersOf) : [schema];
}

/** `<channel>.<side>.<discriminator>`: the member's `topic` or `type` constant, else its name. */
function messageId(channel: string, side: string, member: TSchema): string {
  const props = (member.properties ?? {}) as Record<string, { const?: unknown }>;
  const tag = props.topic?.const ?? props.type?.const ?? schemaName(member) ?? 'frame';
  return `${channel}.${side}.${String(tag)}`;
}

function titleOf(member: TSchema): string {
  const props = (member.properties ?? {}) as Record<string, { const?: unknown }>;
  if (props.topic?.const !== undefined) return `Event ${String(props.topic.const)}`;
  if (props.type?.const !== undefined) return `{"type":"${String(props.type.const)}"}`;
  return schemaName(member) ?? 'Frame';
}

function parametersOf(template: string): Json | undefined {
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  if (template.endsWith('/*')) names.push('path');
  return names.length ? Object.fromEntries(names.map((n) => [n, { description: n === 'path' ? 'The rest of the path' : `The ${n}` }])) : undefined;
}

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
