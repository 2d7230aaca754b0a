import type { Capability, GatewayContext } from '../context.js';
import { createStreamEndpoint } from '../ws/stream-endpoint.js';
import { createAgentsCapability } from '../agents/capability.js';
import { createProviderRegistry } from './providers/registry.js';
import { createTerminalReplies } from './terminal-replies.js';
import { sessionRoutes } from './routes.js';
import { createSessionManager, type SessionManager } from './session-manager.js';

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
  const agents = createAgentsCapability(ctx, (id) => providers.get(id));
  // Built-in observers after idle detection: terminal replies, the agent detector; then the embedder's (SPEC §17).
  const internals = createSessionManager(ctx, providers, {
    observers: [createTerminalReplies, agents.observer, ...(ctx.options.sessionObservers ?? [])],
    prepareLaunch: agents.prepareLaunch,
    forget: agents.forget,
  });
  const stream = createStreamEndpoint(ctx, internals);
  let unsubscribe: (() => void) | null = null;

  // Embedders get the manager without the lifecycle methods the gateway owns.
  const { load: _load, shutdown: _shutdown, stopAllOf: _stopAllOf, ...manager } = internals;

  return {
    manager,
    routes: [...sessionRoutes(internals), ...agents.routes(internals), ...providers.routes],
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
