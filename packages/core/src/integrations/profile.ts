import type { McpServer, MemoryPolicy, PermissionMode } from '@opendray/sdk/wire';
import { badRequest } from '../errors.js';

/**
 * An integration's spawn profile (SPEC §16) as the session manager applies it at every
 * spawn and restart of that integration's own sessions.
 */
export interface SpawnProfile {
  default_provider_id?: string;
  default_model?: string;
  permission_mode: PermissionMode;
  system_prompt?: string;
  mcp_servers: McpServer[];
}

/** The profile fields as a record stores them (every one optional on old records). */
export interface StoredProfileFields {
  default_provider_id?: string;
  default_model?: string;
  permission_mode?: PermissionMode;
  system_prompt?: string;
  mcp_servers?: McpServer[];
  memory_policy?: MemoryPolicy;
  agent_id?: string;
}

/** The fields of a registration or PATCH body that set the profile (`""` / `null` clear). */
export type ProfileInput = {
  [K in keyof StoredProfileFields]?: K extends 'mcp_servers' ? McpServer[] | null : StoredProfileFields[K];
};

export const PROFILE_KEYS = ['default_provider_id', 'default_model', 'permission_mode', 'system_prompt', 'mcp_servers', 'memory_policy', 'agent_id'] as const;

/**
 * Checks what the schema cannot say about MCP servers (SPEC §16): a `stdio` server needs
 * `command` and no `url`; `sse`/`http` need `url` and no `command`; names are unique.
 * Throws the 400 naming the first bad field; returns the list with `transport` filled in.
 */
export function checkMcpServers(servers: readonly McpServer[]): McpServer[] {
  const names = new Set<string>();
  return servers.map((server, i) => {
    const at = `mcp_servers[${i}]`;
    if (names.has(server.name)) throw badRequest(`${at}.name: "${server.name}" is given twice`);
    names.add(server.name);
    const transport = server.transport ?? 'stdio';
    if (transport === 'stdio') {
      if (!server.command) throw badRequest(`${at}.command: required for a stdio server`);
      if (server.url !== undefined || server.headers !== undefined) throw badRequest(`${at}.url: only for sse and http servers`);
    } else {
      if (!server.url) throw badRequest(`${at}.url: required for a ${transport} server`);
      if (server.command !== undefined || server.args !== undefined || server.env !== undefined) {
        throw badRequest(`${at}.command: only for stdio servers`);
      }
    }
    return { ...server, transport };
  });
}

/**
 * Applies profile input over stored fields: a present value sets the field, `""` (and
 * `null` / `[]` for `mcp_servers`) clears it, an absent key keeps it.
 */
export function applyProfileInput(current: StoredProfileFields, input: ProfileInput): StoredProfileFields {
  const next: Record<string, unknown> = { ...current };
  for (const key of PROFILE_KEYS) {
    if (!Object.hasOwn(input, key) || input[key] === undefined) continue;
    const value = input[key];
    if (key === 'mcp_servers') {
      const list = checkMcpServers((value as McpServer[] | null) ?? []);
      if (list.length) next[key] = list;
      else delete next[key];
    } else if (value === '') delete next[key];
    else next[key] = value;
  }
  return next as StoredProfileFields;
}

/** Only the profile fields of a record. */
export function pickProfile(record: StoredProfileFields): StoredProfileFields {
  return Object.fromEntries(PROFILE_KEYS.filter((k) => record[k] !== undefined).map((k) => [k, record[k]])) as StoredProfileFields;
}

/** The profile the session manager applies, from a record's fields. */
export function spawnProfileOf(fields: StoredProfileFields): SpawnProfile {
  return {
    ...(fields.default_provider_id ? { default_provider_id: fields.default_provider_id } : {}),
    ...(fields.default_model ? { default_model: fields.default_model } : {}),
    permission_mode: fields.permission_mode ?? 'default',
    ...(fields.system_prompt ? { system_prompt: fields.system_prompt } : {}),
    mcp_servers: fields.mcp_servers ?? [],
  };
}
