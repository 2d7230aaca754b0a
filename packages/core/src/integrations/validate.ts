import { DEFAULT_SCOPES, type Scope } from '@opendray/sdk/wire';
import { isKnownScope } from '../auth/scopes.js';
import { badRequest } from '../errors.js';

/** `max_sessions` of an integration registered without one; 0 means it may create none. */
export const DEFAULT_MAX_SESSIONS = 10;
export const MAX_SESSIONS_LIMIT = 1000;

/** Longest grace a rotated key may keep (7 days). */
export const MAX_GRACE_SECONDS = 604_800;

// ASCII letters, digits, space, `.`, `_`, `-`; starts and ends with a visible character.
// ASCII only, so no two names look alike (homoglyphs, bidi overrides) in a CLI or a log.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]*[A-Za-z0-9._-])?$/;
const PREFIX = /^[a-z0-9][a-z0-9-]{0,62}$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const PRINTABLE = /^[^\p{Cc}\p{Cf}]*$/u;

/** What `POST /integrations` may set, validated (SPEC §4). */
export interface RegisterInput {
  name: string;
  base_url: string;
  route_prefix: string;
  scopes: Scope[];
  version?: string;
  max_sessions: number;
}

/** What `PATCH /integrations/{id}` may change; absent fields stay as they are. */
export interface PatchInput {
  base_url?: string;
  route_prefix?: string;
  scopes?: Scope[];
  version?: string;
  enabled?: boolean;
  max_sessions?: number;
}

/** Validates a registration body; throws a 400 naming the first bad field. */
export function parseRegister(body: unknown): RegisterInput {
  const b = objectBody(body);
  if (b.name === undefined) throw badRequest('name: required');
  const name = parseName(b.name);
  const base_url = b.base_url === undefined ? '' : parseBaseUrl(b.base_url);
  const route_prefix = b.route_prefix === undefined ? '' : parsePrefix(b.route_prefix);
  bothOrNeither(base_url, route_prefix);
  const version = b.version === undefined ? undefined : parseVersion(b.version);
  return {
    name,
    base_url,
    route_prefix,
    scopes: b.scopes === undefined ? [...DEFAULT_SCOPES] : parseScopes(b.scopes),
    ...(version ? { version } : {}),
    max_sessions: b.max_sessions === undefined ? DEFAULT_MAX_SESSIONS : parseMaxSessions(b.max_sessions),
  };
}

/** Validates a PATCH body field by field; the both-or-neither rule is checked against the record. */
export function parsePatch(body: unknown): PatchInput {
  const b = objectBody(body);
  const patch: PatchInput = {};
  if (b.base_url !== undefined) patch.base_url = parseBaseUrl(b.base_url);
  if (b.route_prefix !== undefined) patch.route_prefix = parsePrefix(b.route_prefix);
  if (b.scopes !== undefined) patch.scopes = parseScopes(b.scopes);
  if (b.version !== undefined) patch.version = parseVersion(b.version);
  if (b.enabled !== undefined) {
    if (typeof b.enabled !== 'boolean') throw badRequest('enabled: must be a boolean');
    patch.enabled = b.enabled;
  }
  if (b.max_sessions !== undefined) patch.max_sessions = parseMaxSessions(b.max_sessions);
  return patch;
}

/** Validates a rotate-key body: `{grace_seconds?}` (0 = the old key dies at once). */
export function parseRotate(body: unknown): { graceSeconds: number } {
  const b = objectBody(body);
  const g = b.grace_seconds;
  if (g === undefined) return { graceSeconds: 0 };
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g > MAX_GRACE_SECONDS) {
    throw badRequest(`grace_seconds: must be an integer from 0 to ${MAX_GRACE_SECONDS}`);
  }
  return { graceSeconds: g };
}

/** Throws the 400 for a proxied integration missing one half of base_url + route_prefix. */
export function bothOrNeither(baseUrl: string, routePrefix: string): void {
  if (baseUrl && !routePrefix) throw badRequest('route_prefix: required when base_url is set');
  if (routePrefix && !baseUrl) throw badRequest('base_url: required when route_prefix is set');
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body: must be a JSON object');
  return body as Record<string, unknown>;
}

function parseName(v: unknown): string {
  if (typeof v !== 'string') throw badRequest('name: must be a string');
  if (v.length === 0) throw badRequest('name: must not be empty');
  if (v.length > 64) throw badRequest('name: at most 64 characters');
  if (!NAME.test(v)) {
    throw badRequest('name: only ASCII letters, digits, space, ".", "_" and "-", starting with a letter or digit and not ending in a space');
  }
  return v;
}

function parseBaseUrl(v: unknown): string {
  if (typeof v !== 'string') throw badRequest('base_url: must be a string');
  if (v === '') return '';
  if (v.length > 2048) throw badRequest('base_url: at most 2048 characters');
  // The URL parser silently strips spaces and tabs; refuse them instead of guessing.
  if (!VISIBLE_ASCII.test(v)) throw badRequest('base_url: must be printable ASCII without spaces');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw badRequest('base_url: not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('base_url: must be http or https');
  if (!url.hostname) throw badRequest('base_url: must have a host');
  if (url.username || url.password) throw badRequest('base_url: must not contain credentials');
  if (v.includes('?') || v.includes('#')) throw badRequest('base_url: must not contain a query or fragment');
  return v.replace(/\/+$/, '');
}

function parsePrefix(v: unknown): string {
  if (typeof v !== 'string') throw badRequest('route_prefix: must be a string');
  if (v === '') return '';
  if (v.startsWith('_')) throw badRequest('route_prefix: names starting with "_" are reserved');
  if (!PREFIX.test(v)) throw badRequest('route_prefix: 1–63 lower-case letters, digits and "-", starting with a letter or digit');
  return v;
}

function parseScopes(v: unknown): Scope[] {
  if (!Array.isArray(v)) throw badRequest('scopes: must be an array of strings');
  if (v.length > 64) throw badRequest('scopes: at most 64 entries');
  const out: Scope[] = [];
  v.forEach((s: unknown, i) => {
    if (typeof s !== 'string') throw badRequest(`scopes[${i}]: must be a string`);
    if (!isKnownScope(s)) throw badRequest(`scopes[${i}]: unknown scope ${JSON.stringify(s.slice(0, 80))}`);
    if (!out.includes(s)) out.push(s);
  });
  return out;
}

function parseVersion(v: unknown): string {
  if (typeof v !== 'string') throw badRequest('version: must be a string');
  if (v.length > 64) throw badRequest('version: at most 64 characters');
  if (!PRINTABLE.test(v)) throw badRequest('version: must not contain control characters');
  return v;
}

function parseMaxSessions(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SESSIONS_LIMIT) {
    throw badRequest(`max_sessions: must be an integer from 0 to ${MAX_SESSIONS_LIMIT}`);
  }
  return v;
}
