import type { Capability, GatewayContext } from '../context.js';
import type { HealthCheck } from '../stores/storage-health.js';
import { createStreamEndpoint } from '../ws/stream-endpoint.js';
import { createAgentsCapability } from '../agents/capability.js';
import { createProviderRegistry } from './providers/registry.js';
import { startSessionRetention } from './retention.js';
import { removeSessionHome } from './sandbox/homes.js';
import { createTerminalReplies } from './terminal-replies.js';
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
 * running come back `interrupted`; at shutdown (drain, before sockets close) every session
 * is saved, stopped, marked `interrupted` and saved with its tail. Deleting an integration
 * stops its sessions, then drops its provider-config layers and its HOME (agent logins must
 * not outlive the tenant).
 */
export function createSessionsCapability(ctx: GatewayContext): Capability & { manager: SessionManager; healthChecks: HealthCheck[] } {
  const providers = createProviderRegistry(ctx);
  // Read at every spawn, so the operator's latest spawn profile and max_sessions apply (SPEC §16).
  const integrationOf: IntegrationLookup = async (id) => {
    const record = await ctx.stores.integrations.get(id);
    return record ? { profile: spawnProfileOf(record), maxSessions: record.max_sessions ?? null } : undefined;
  };
  const agents = createAgentsCapability(ctx, (id) => providers.get(id));
  // Built-in observers after idle detection: terminal replies, the agent detector; then the embedder's (SPEC §17).
  const internals = createSessionManager(ctx, providers, {
    integrationOf,
    observers: [createTerminalReplies, agents.observer, ...(ctx.options.sessionObservers ?? [])],
    prepareLaunch: agents.prepareLaunch,
    forget: agents.forget,
  });
  const stream = createStreamEndpoint(ctx, internals);
  let unsubscribe: (() => void) | null = null;
  let stopRetention: (() => void) | null = null;

  // Embedders get the manager without the lifecycle methods the gateway owns.
  const { load: _load, shutdown: _shutdown, stopAllOf: _stopAllOf, output: _output, ...manager } = internals;

  return {
    manager,
    healthChecks: [async () => (await internals.output?.health()) ?? null],
    routes: [...sessionRoutes(internals), ...agents.routes(internals), ...providers.routes],
    upgrades: [stream],
    async start() {
      await providers.start();
      await internals.load();
      unsubscribe = ctx.bus.subscribe('integration.deregistered', (event) => {
        const id = event.data.integration_id;
        if (typeof id !== 'string') return;
        void (async () => {
          await internals.stopAllOf(id);
          await providers.forgetIntegration(id);
          await removeSessionHome(ctx.dataDir, id);
        })().catch((err: unknown) => ctx.logger.warn('cleaning up a deleted integration failed', { integration_id: id, error: err }));
      });
      // Ended sessions are forgotten past each owner's count, bytes and age (docs/sessions.md).
      stopRetention = startSessionRetention(ctx.options.sessionRetention ?? {}, {
        bus: ctx.bus,
        clock: ctx.clock,
        logger: ctx.logger,
        list: () => internals.list(),
        forget: (id) => internals.delete(id),
        bufferBytes: ctx.options.bufferBytes,
      });
    },
    // First, while every socket is open: subscribers see each session.ended (interrupted).
    async drain() {
      unsubscribe?.();
      stopRetention?.();
      await internals.shutdown();
    },
    async stop() {
      await stream.closeAll();
      await providers.stop();
    },
  };
}
