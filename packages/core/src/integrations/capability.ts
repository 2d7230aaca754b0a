import { createApiKeyVerifier } from '../auth/api-key-verifier.js';
import type { Capability, GatewayContext } from '../context.js';
import { bcryptKeyHasher } from './keys.js';
import { integrationRoutes } from './routes.js';
import { createIntegrationService } from './service.js';

/**
 * The integration registry (SPEC §2.2, §3, §4, §10): admin routes, the call-log query
 * route, and the API-key verifier every integration request is authenticated with.
 */
export function createIntegrationsCapability(ctx: GatewayContext): Capability {
  const hasher = bcryptKeyHasher(ctx.options.bcryptCost);
  const verifier = createApiKeyVerifier({ store: ctx.stores.integrations, hasher, clock: ctx.clock });
  const service = createIntegrationService({ ctx, hasher, verifier });
  return {
    routes: integrationRoutes(service, ctx.callLog),
    verifiers: [verifier],
    async stop() {
      service.stop();
    },
  };
}
