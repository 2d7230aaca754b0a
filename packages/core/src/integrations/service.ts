import type { Integration, IntegrationWithKey, Scope, TopicName, Topics } from '@opendray/sdk/wire';

type IntegrationTopic = Extract<TopicName, `integration.${string}`>;
import type { ApiKeyVerifier } from '../auth/api-key-verifier.js';
import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../security.js';
import type { IntegrationRecord } from '../stores/types.js';
import { issueKey, mintSigningSecret, type KeyHasher } from './keys.js';
import { CloseCode } from '../ws/close-codes.js';

/** What `POST /integrations` sets, validated and with defaults filled (SPEC §4). */
export interface RegisterInput {
  name: string;
  base_url: string;
  route_prefix: string;
  scopes: Scope[];
  version?: string;
  max_sessions: number;
}

/** What `PATCH /integrations/{id}` changes; absent fields stay as they are. */
export interface PatchInput {
  base_url?: string;
  route_prefix?: string;
  scopes?: Scope[];
  version?: string;
  enabled?: boolean;
  max_sessions?: number;
}

/** Throws the 400 for a proxied integration missing one half of base_url + route_prefix. */
export function bothOrNeither(baseUrl: string, routePrefix: string): void {
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
    max_sessions: r.max_sessions,
  };
}

const PATCHABLE = ['base_url', 'route_prefix', 'scopes', 'version', 'enabled', 'max_sessions'] as const;

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

  // When a grace ends, sockets opened with the old key must not outlive it: close them all
  // (clients reconnect with the new key) and drop the expired key from the record.
  const scheduleGraceEnd = (id: string, lookupId: string, ms: number): void => {
    clearGrace(id);
    const timer = setTimeout(() => {
      graceTimers.delete(id);
      revoke(id, 'previous key expired');
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
      const next = await store.update(id, (current) => {
        const base_url = patch.base_url ?? current.base_url;
        const route_prefix = patch.route_prefix ?? current.route_prefix;
        bothOrNeither(base_url, route_prefix);
        const { signing_secret, version, ...rest } = current;
        const nextVersion = patch.version ?? version;
        // A proxied integration needs a signing secret; the admin fetches it with rotate-key.
        const secret = base_url ? (signing_secret ?? mintSigningSecret()) : undefined;
        const candidate: IntegrationRecord = {
          ...rest,
          base_url,
          route_prefix,
          scopes: patch.scopes ?? current.scopes,
          enabled: patch.enabled ?? current.enabled,
          max_sessions: patch.max_sessions ?? current.max_sessions,
          ...(nextVersion ? { version: nextVersion } : {}),
          ...(secret ? { signing_secret: secret } : {}),
        };
        changed = PATCHABLE.filter((f) => JSON.stringify(candidate[f] ?? '') !== JSON.stringify(current[f] ?? ''));
        narrowed = current.scopes.some((s) => !candidate.scopes.includes(s));
        return candidate;
      });
      if (!next) throw notFound('integration');
      if (changed.includes('enabled') && !next.enabled) revoke(id, 'integration disabled');
      // The key still works; what the sockets were allowed to do may not (SPEC §6: 4003).
      else if (narrowed) revoke(id, 'scopes narrowed', CloseCode.missingScope);
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
      const next = await store.update(id, ({ previous_key: _expiring, signing_secret: _old, ...rest }) => {
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
        // The old key keeps working (and its sockets stay open) until the grace ends.
        verifier.invalidate(id);
        scheduleGraceEnd(id, next.previous_key!.lookup_id, graceSeconds * 1000);
      } else {
        clearGrace(id);
        revoke(id, 'key rotated');
      }
      publish('integration.rotated', id, { name: next.name });
      return { integration: toWire(next), api_key: key.plaintext, ...(signingSecret ? { signing_secret: signingSecret } : {}) };
    },

    stop() {
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
    },
  };
}
