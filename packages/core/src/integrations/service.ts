import type { Integration, IntegrationWithKey, Scope, SessionAccess, TopicName, Topics } from '@opendray/sdk/wire';

type IntegrationTopic = Extract<TopicName, `integration.${string}`>;
import type { ApiKeyVerifier } from '../auth/api-key-verifier.js';
import { apiKeyCredential } from '../auth/credential.js';
import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../security.js';
import type { IntegrationRecord } from '../stores/types.js';
import { issueKey, mintSigningSecret, type KeyHasher } from './keys.js';
import { applyProfileInput, pickProfile, PROFILE_KEYS, type ProfileInput } from './profile.js';
import { CloseCode } from '../ws/close-codes.js';

/** What `POST /integrations` sets, validated and with defaults filled (SPEC §4, §16). */
export interface RegisterInput extends ProfileInput {
  name: string;
  base_url: string;
  route_prefix: string;
  scopes: Scope[];
  version?: string;
  /** null: no cap (the default, SPEC §16). */
  max_sessions: number | null;
  /** @default 'shared' */
  session_access?: SessionAccess;
}

/** What `PATCH /integrations/{id}` changes; absent fields stay as they are. */
export interface PatchInput extends ProfileInput {
  base_url?: string;
  route_prefix?: string;
  scopes?: Scope[];
  version?: string;
  enabled?: boolean;
  /** null removes the cap. */
  max_sessions?: number | null;
  session_access?: SessionAccess;
}

/**
 * Throws the 400 for a proxied integration missing one half of base_url + route_prefix,
 * and the 409 for a reserved prefix (SPEC §16: names starting with `_`, as v2).
 */
export function bothOrNeither(baseUrl: string, routePrefix: string): void {
  if (routePrefix.startsWith('_')) throw conflict('route_prefix: names starting with "_" are reserved');
  if (baseUrl && !routePrefix) throw badRequest('route_prefix: required when base_url is set');
  if (routePrefix && !baseUrl) throw badRequest('base_url: required when route_prefix is set');
}

/** A base_url as stored: without trailing slashes (the proxy appends the path). */
export const normalizeBaseUrl = (url: string): string => url.replace(/\/+$/, '');

/** Scopes in the order given, each once. */
export const uniqueScopes = (scopes: readonly Scope[]): Scope[] => [...new Set(scopes)];

/** The integration registry (SPEC §2.2, §4): every change is stored, then published. */
export interface IntegrationService {
  register(input: RegisterInput): Promise<IntegrationWithKey>;
  list(): Promise<Integration[]>;
  /** 404 for an unknown id. */
  get(id: string): Promise<Integration>;
  update(id: string, patch: PatchInput): Promise<Integration>;
  /** Deletes the record; its call-log rows stay. The sessions capability stops its sessions. */
  remove(id: string): Promise<void>;
  /** A new key (and signing secret); the old key dies now or after `graceSeconds`. */
  rotate(id: string, graceSeconds: number): Promise<IntegrationWithKey>;
  /** Cancels pending grace-end timers. */
  stop(): void;
}

export interface IntegrationServiceDeps {
  ctx: GatewayContext;
  hasher: KeyHasher;
  verifier: ApiKeyVerifier;
}

/** The wire view of a record: an allow-list, so a key, hash or secret can never leak. */
export function toWire(r: IntegrationRecord): Integration {
  return {
    id: r.id,
    name: r.name,
    base_url: r.base_url,
    route_prefix: r.route_prefix,
    scopes: [...r.scopes],
    ...(r.version ? { version: r.version } : {}),
    enabled: r.enabled,
    health_status: r.health_status,
    ...(r.health_payload ? { health_payload: r.health_payload } : {}),
    ...(r.health_last_seen ? { health_last_seen: r.health_last_seen } : {}),
    created_at: r.created_at,
    ...(r.rotated_at ? { rotated_at: r.rotated_at } : {}),
    max_sessions: r.max_sessions ?? null,
    session_access: r.session_access ?? 'shared',
    ...(r.default_provider_id ? { default_provider_id: r.default_provider_id } : {}),
    ...(r.default_model ? { default_model: r.default_model } : {}),
    permission_mode: r.permission_mode ?? 'default',
    ...(r.system_prompt ? { system_prompt: r.system_prompt } : {}),
    mcp_servers: structuredClone(r.mcp_servers ?? []),
    memory_policy: r.memory_policy ?? 'none',
    ...(r.agent_id ? { agent_id: r.agent_id } : {}),
  };
}

const PATCHABLE = ['base_url', 'route_prefix', 'scopes', 'version', 'enabled', 'max_sessions', 'session_access', ...PROFILE_KEYS] as const;

/** The profile fields of a request, without its other fields. */
const profileInputOf = (input: ProfileInput): ProfileInput =>
  Object.fromEntries(PROFILE_KEYS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]])) as ProfileInput;

/** Creates the registry service over `ctx.stores.integrations`. */
export function createIntegrationService({ ctx, hasher, verifier }: IntegrationServiceDeps): IntegrationService {
  const store = ctx.stores.integrations;
  const graceTimers = new Map<string, NodeJS.Timeout>();

  const publish = <K extends IntegrationTopic>(topic: K, id: string, data: Omit<Topics[K], 'integration_id'>): void => {
    ctx.bus.publish<IntegrationTopic>(topic, { integration_id: id, ...data } as Topics[K], { tenant: id });
  };

  /** Ends every use of the integration's current credentials: cached keys and open sockets. */
  const revoke = (id: string, reason: string, code: number = CloseCode.revoked): void => {
    verifier.invalidate(id);
    ctx.connections.revoke(id, reason, code);
  };

  const clearGrace = (id: string): void => {
    clearTimeout(graceTimers.get(id));
    graceTimers.delete(id);
  };

  // When a grace ends, sockets opened with the old key must not outlive it: close those
  // (sockets of the new key stay open) and drop the expired key from the record.
  const scheduleGraceEnd = (id: string, lookupId: string, ms: number): void => {
    clearGrace(id);
    const timer = setTimeout(() => {
      graceTimers.delete(id);
      verifier.invalidate(id);
      ctx.connections.revokeCredential(apiKeyCredential(id, lookupId), 'previous key expired');
      store
        .update(id, ({ previous_key, ...rest }) => (previous_key?.lookup_id === lookupId ? rest : { ...rest, ...(previous_key ? { previous_key } : {}) }))
        .catch((err: unknown) => ctx.logger.warn('could not drop an expired key', { integration_id: id, error: err }));
    }, ms);
    timer.unref();
    graceTimers.set(id, timer);
  };

  const existing = async (id: string): Promise<IntegrationRecord> => {
    const record = await store.get(id);
    if (!record) throw notFound('integration');
    return record;
  };

  return {
    async register(input) {
      bothOrNeither(input.base_url, input.route_prefix);
      const profile = applyProfileInput({}, profileInputOf(input)); // 400 for bad mcp_servers, before any bcrypt
      const key = await issueKey(hasher);
      const signingSecret = input.base_url ? mintSigningSecret() : undefined;
      const record: IntegrationRecord = {
        id: newId('int'),
        name: input.name,
        base_url: input.base_url,
        route_prefix: input.route_prefix,
        scopes: input.scopes,
        ...(input.version ? { version: input.version } : {}),
        enabled: true,
        health_status: 'unknown',
        created_at: isoTime(ctx.clock.now()),
        max_sessions: input.max_sessions,
        session_access: input.session_access ?? 'shared',
        permission_mode: 'default',
        memory_policy: 'none',
        mcp_servers: [],
        ...profile,
        key: key.stored,
        ...(signingSecret ? { signing_secret: signingSecret } : {}),
      };
      await store.create(record); // 409 on a taken name or prefix, also under races
      publish('integration.registered', record.id, { name: record.name, route_prefix: record.route_prefix, scopes: [...record.scopes] });
      return { integration: toWire(record), api_key: key.plaintext, ...(signingSecret ? { signing_secret: signingSecret } : {}) };
    },

    async list() {
      const records = await store.list();
      return records.map(toWire).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    },

    async get(id) {
      return toWire(await existing(id));
    },

    async update(id, patch) {
      let changed: string[] = [];
      let narrowed = false;
      const profileInput = profileInputOf(patch);
      const next = await store.update(id, (current) => {
        const base_url = patch.base_url ?? current.base_url;
        const route_prefix = patch.route_prefix ?? current.route_prefix;
        bothOrNeither(base_url, route_prefix);
        const { signing_secret, version, ...rest } = current;
        const nextVersion = patch.version ?? version;
        // A proxied integration needs a signing secret; the admin fetches it with rotate-key.
        const secret = base_url ? (signing_secret ?? mintSigningSecret()) : undefined;
        const profileKeys = new Set<string>(PROFILE_KEYS);
        const unprofiled = Object.fromEntries(Object.entries(rest).filter(([k]) => !profileKeys.has(k))) as typeof rest;
        const candidate: IntegrationRecord = {
          ...unprofiled,
          ...applyProfileInput(pickProfile(current), profileInput),
          base_url,
          route_prefix,
          scopes: patch.scopes ?? current.scopes,
          enabled: patch.enabled ?? current.enabled,
          max_sessions: patch.max_sessions === undefined ? (current.max_sessions ?? null) : patch.max_sessions,
          session_access: patch.session_access ?? current.session_access ?? 'shared',
          ...(nextVersion ? { version: nextVersion } : {}),
          ...(secret ? { signing_secret: secret } : {}),
        };
        changed = PATCHABLE.filter((f) => JSON.stringify(candidate[f] ?? '') !== JSON.stringify(current[f] ?? ''));
        narrowed =
          current.scopes.some((s) => !candidate.scopes.includes(s)) ||
          ((current.session_access ?? 'shared') === 'shared' && candidate.session_access === 'own');
        return candidate;
      });
      if (!next) throw notFound('integration');
      if (changed.includes('enabled') && !next.enabled) revoke(id, 'integration disabled');
      // The key still works; what the sockets were allowed to do or see may not (SPEC §6: 4003).
      else if (narrowed) revoke(id, 'scopes or session access narrowed', CloseCode.missingScope);
      if (changed.length) publish('integration.updated', id, { changed });
      return toWire(next);
    },

    async remove(id) {
      if (!(await store.delete(id))) throw notFound('integration');
      clearGrace(id);
      revoke(id, 'integration deleted');
      publish('integration.deregistered', id, {});
    },

    async rotate(id, graceSeconds) {
      await existing(id); // 404 before paying for a bcrypt hash
      const key = await issueKey(hasher);
      const now = ctx.clock.now();
      let signingSecret: string | undefined;
      let replacedGraceKey: string | undefined;
      const next = await store.update(id, ({ previous_key: expiring, signing_secret: _old, ...rest }) => {
        replacedGraceKey = expiring?.lookup_id;
        signingSecret = rest.base_url ? mintSigningSecret() : undefined;
        return {
          ...rest,
          key: key.stored,
          rotated_at: isoTime(now),
          ...(graceSeconds > 0 ? { previous_key: { ...rest.key, valid_until: isoTime(now + graceSeconds * 1000) } } : {}),
          ...(signingSecret ? { signing_secret: signingSecret } : {}),
        };
      });
      if (!next) throw notFound('integration');
      if (graceSeconds > 0) {
        // The old key keeps working (and its sockets stay open) until the grace ends; a key
        // still in grace from an earlier rotation dies now, and so do its sockets.
        verifier.invalidate(id);
        if (replacedGraceKey) ctx.connections.revokeCredential(apiKeyCredential(id, replacedGraceKey), 'key rotated');
        scheduleGraceEnd(id, next.previous_key!.lookup_id, graceSeconds * 1000);
      } else {
        clearGrace(id);
        revoke(id, 'key rotated');
      }
      // v2's name; subscribers naming the guide's `integration.rotated` get it under that (SPEC §16).
      publish('integration.key_rotated', id, { name: next.name });
      return { integration: toWire(next), api_key: key.plaintext, ...(signingSecret ? { signing_secret: signingSecret } : {}) };
    },

    stop() {
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
    },
  };
}
