import type { Capability, GatewayContext } from '../context.js';
import { createStreamEndpoint } from '../ws/stream-endpoint.js';
import { createProviderRegistry } from './providers/registry.js';
import { sessionRoutes } from './routes.js';
import { spawnProfileOf } from '../integrations/profile.js';
import { createSessionManager, type IntegrationLookup, type SessionManager } from './session-manager.js';

export type {
  Attachment,
  BufferSlice,
  EndInfo,
  SessionFilter,
  SessionListener,
  SessionManager,
  SessionOwner,
} from './session-manager.js';

/**
 * Sessions and providers (SPEC §4, §5): the session manager, every session route, the
 * `/stream` WebSocket, and the provider registry's routes. At start, sessions stored as
 * running come back `interrupted`; at stop every session is stopped, marked `interrupted`
 * and saved with its tail. Deleting an integration stops its sessions.
 */
export function createSessionsCapability(ctx: GatewayContext): Capability & { manager: SessionManager } {
  const providers = createProviderRegistry(ctx);
  // Read at every spawn, so the operator's latest spawn profile and max_sessions apply (SPEC §16).
  const integrationOf: IntegrationLookup = async (id) => {
    const record = await ctx.stores.integrations.get(id);
    return record ? { profile: spawnProfileOf(record), maxSessions: record.max_sessions ?? null } : undefined;
  };
  const internals = createSessionManager(ctx, providers, integrationOf);
  const stream = createStreamEndpoint(ctx, internals);
  let unsubscribe: (() => void) | null = null;

  // Embedders get the manager without the lifecycle methods the gateway owns.
  const { load: _load, shutdown: _shutdown, stopAllOf: _stopAllOf, ...manager } = internals;

  return {
    manager,
    routes: [...sessionRoutes(internals), ...providers.routes],
    upgrades: [stream],
    async start() {
      await providers.start();
      await internals.load();
      unsubscribe = ctx.bus.subscribe('integration.deregistered', (event) => {
        const id = event.data.integration_id;
        if (typeof id === 'string') void internals.stopAllOf(id);
      });
    },
    async stop() {
      unsubscribe?.();
      await internals.shutdown();
      stream.closeAll();
      await providers.stop();
    },
  };
}
