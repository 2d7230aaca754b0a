import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import bcrypt from 'bcrypt';
import { checkAdminPassword, checkAdminToken, createAdminAuth, type AdminCredentials } from './auth/admin.js';
import { createAuthenticator } from './auth/authenticate.js';
import { adminTokenCredential } from './auth/credential.js';
import { createRateLimiter } from './auth/rate-limit.js';
import { createVerificationGate } from './auth/verification-gate.js';
import { createWsTickets } from './auth/ws-tickets.js';
import { createLocalBus } from './bus/local-bus.js';
import type { EventBus } from './bus/types.js';
import { createCallLog } from './calllog/call-log.js';
import { recordInboundCalls, recordRejectedUpgrades } from './calllog/record-inbound.js';
import { createChannelsCapability } from './channels/capability.js';
import type { Capability, GatewayContext } from './context.js';
import { resolveDataDir } from './data-dir.js';
import { createStores, resolveOptions } from './defaults.js';
import { createHealthCapability } from './health/capability.js';
import { BASE_PATH } from './http/base-path.js';
import { createClientAddressResolver, trustedProxyCheck } from './http/client-address.js';
import { createPipeline } from './http/pipeline.js';
import type { Route } from './http/route.js';
import { Router } from './http/router.js';
import { authRoutes } from './http/routes/auth.js';
import { healthRoutes } from './http/routes/health.js';
import { openApiRoutes } from './http/routes/openapi.js';
import { createGatewayServer } from './http/server.js';
import { createIntegrationsCapability } from './integrations/capability.js';
import { silentLogger } from './log.js';
import type { GatewayOptions } from './options.js';
import { createProxyCapability } from './proxy/capability.js';
import { logAccess } from './observability/access-log.js';
import { logLifecycle } from './observability/lifecycle-log.js';
import { closeFdsShimAvailable } from './pty/close-fds.js';
import { createNodePtyBackend } from './pty/node-pty-backend.js';
import { createSessionsCapability, type SessionManager } from './sessions/capability.js';
import { createSandbox } from './sessions/sandbox/create.js';
import type { SandboxStatus } from './sessions/sandbox/types.js';
import { openStorage } from './stores/keyv/open.js';
import { writerFor } from './stores/keyv/writer.js';
import { storageHealthCheck } from './stores/storage-health.js';
import type { Stores } from './stores/types.js';
import { CloseCode } from './ws/close-codes.js';
import { createConnectionRegistry } from './ws/connections.js';
import { createEventsCapability } from './ws/events-endpoint.js';
import { createUpgradeDispatcher, type UpgradeEndpoint } from './ws/upgrade.js';

/** A running (or ready to listen) gateway. */
export interface Gateway {
  /** The Node server `listen()` uses; already wired to `handler` and `upgrade`. */
  readonly server: Server;
  /** Mount into a host app's server; calls `next` (or answers 404) outside `/api/v1`. */
  handler(req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Mount into a host app's `upgrade` event; returns false outside `/api/v1`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Listens on the configured (or given) host and port; resolves with the URL. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops every session (marked interrupted), closes sockets, flushes stores. */
  close(): Promise<void>;
  readonly bus: EventBus;
  readonly sessions: SessionManager;
  /** How sessions are isolated here, with one line for the operator (SPEC §15). */
  readonly sandbox: SandboxStatus;
  readonly stores: Stores;
  /** Every REST route, e.g. for documentation. */
  readonly routes: readonly Route[];
  /** Every WebSocket endpoint; with `routes`, what `buildOpenApiDocument` describes. */
  readonly upgrades: readonly UpgradeEndpoint[];
}

/**
 * Builds the whole gateway from its collaborators (SPEC §11). The only wiring place.
 *
 * @example
 * const gateway = await createGateway({ storage: 'sqlite:///var/lib/opendray/opendray.sqlite' });
 * const { url } = await gateway.listen(8770);
 */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const opts = resolveOptions(options);
  const clock = opts.clock!;
  const logger = opts.logger ?? silentLogger;
  // Options that need no I/O are checked first: nothing is opened for a bad configuration.
  const trustProxy = opts.trustProxy ?? [];
  const isTrustedProxy = trustedProxyCheck(trustProxy);
  const clientAddress = createClientAddressResolver(trustProxy);
  if (opts.auth?.adminToken !== undefined) checkAdminToken(opts.auth.adminToken, 'auth.adminToken');
  const dataDir = await resolveDataDir(opts);
  const { sandbox, status: sandboxStatus } = await createSandbox(opts.sandbox ?? 'auto', { hidden: dataDir.hidden });
  // `opendray serve` prints the status on stdout; an embedder is warned when sessions are not isolated.
  if (sandboxStatus.isolates) logger.debug(sandboxStatus.message);
  else logger.warn(sandboxStatus.message);
  if (!opts.pty && process.platform === 'linux' && !closeFdsShimAvailable()) {
    logger.warn('/bin/bash not found: sessions inherit the PTY masters of earlier sessions (node-pty 1.1); install bash (docs/security.md)');
  }
  const keyv = await openStorage(opts.storage);
  // From here on the store (a worker thread for SQLite) is open: a failure to assemble
  // closes it, or the process that called createGateway could never exit.
  try {
    if (opts.storageDurability === 'normal') writerFor(keyv).ceiling = 'normal';
    const stores = createStores(keyv, opts.stores, () => clock.now(), logger);
    const bus = createLocalBus({
      clock,
      logSize: opts.eventLogSize,
      onListenerError: (err, topic) => logger.error('bus listener failed', { topic, error: err }),
    });
    const stopLifecycleLog = logLifecycle(bus, logger);
    const callLog = createCallLog({ store: stores.callLog, clock, logger, ...opts.callLog });
    const ctx: GatewayContext = {
      options: opts,
      clock,
      logger,
      bus,
      stores,
      pty: opts.pty ?? createNodePtyBackend(),
      connections: createConnectionRegistry({ clock, maxPerCredential: opts.limits.socketsPerCredential }),
      callLog,
      sandbox,
      dataDir: dataDir.path,
      endpoint: { url: null },
    };

    // Every bcrypt of a credential (API keys, the admin password) waits in this one bounded queue.
    const gate = createVerificationGate(opts.limits.verifications);
    const admin = createAdminAuth({
      credentials: await adminCredentials(opts.auth?.admin, opts.bcryptCost),
      staticToken: opts.auth?.adminToken ?? null,
      tokens: stores.adminTokens,
      tokenTtlMs: opts.auth?.tokenTtlMs ?? 86_400_000,
      loginFailures: createRateLimiter({ clock, name: 'auth.loginRateLimit', ...(opts.auth?.loginRateLimit ?? { max: 10, windowMs: 900_000 }) }),
      gate,
      clock,
      // A logged-out token's sockets close at once (SPEC §2.2 live revocation), and its unused WebSocket tickets die.
      onTokenRevoked: (digest) => {
        tickets.revokeFor(digest);
        ctx.connections.revokeCredential(adminTokenCredential(digest), 'logged out');
      },
    });
    const tickets = createWsTickets({ clock, credentialLive: (p) => admin.isLive(p) });
    const sessions = createSessionsCapability(ctx);
    const capabilities: Capability[] = [
      {
        routes: [
          ...healthRoutes({ checks: [storageHealthCheck(keyv), ...sessions.healthChecks], version: opts.version, startedAt: clock.now(), now: () => clock.now() }),
          ...authRoutes(admin, tickets),
        ],
      },
      createIntegrationsCapability(ctx),
      sessions,
      createEventsCapability(ctx),
      createProxyCapability(ctx),
      createHealthCapability(ctx),
      createChannelsCapability(ctx),
    ];

    const restRoutes = capabilities.flatMap((c) => c.routes ?? []);
    const upgrades: UpgradeEndpoint[] = capabilities.flatMap((c) => c.upgrades ?? []);
    const routes: Route[] = [...restRoutes, ...openApiRoutes(() => routes, upgrades)];
    const router = new Router(routes);
    const hookVerifier = opts.auth?.verify ? [{ verify: opts.auth.verify }] : [];
    const authenticator = createAuthenticator(
      [...admin.verifiers, ...capabilities.flatMap((c) => c.verifiers ?? []), ...hookVerifier],
      {
        failures: createRateLimiter({ clock, name: 'auth.credentialRateLimit', ...(opts.auth?.credentialRateLimit ?? { max: 30, windowMs: 60_000 }) }),
        gate,
      },
    );
    const hooks = opts.hooks ?? {};
    const pipeline = createPipeline({
      basePath: BASE_PATH,
      router,
      authenticator,
      bodyLimitBytes: opts.bodyLimitBytes,
      logger,
      now: () => clock.now(),
      clientAddress,
      bodyTimeoutMs: opts.limits.bodyTimeoutMs,
      hooks: {
        onRequest: hooks.onRequest ?? [],
        preHandler: hooks.preHandler ?? [],
        onError: hooks.onError ?? [],
        onResponse: [logAccess(logger), recordInboundCalls(callLog), ...capabilities.flatMap((c) => (c.onResponse ? [c.onResponse] : [])), ...(hooks.onResponse ?? [])],
      },
    });
    const dispatchUpgrade = createUpgradeDispatcher(upgrades, {
      basePath: BASE_PATH,
      authenticator,
      tickets,
      logger,
      onRejected: recordRejectedUpgrades(callLog, () => clock.now()),
      connections: ctx.connections,
      clientAddress,
    });

    const handler: Gateway['handler'] = (req, res, next) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (next && path !== BASE_PATH && !path.startsWith(`${BASE_PATH}/`)) return next();
      void pipeline(req, res);
    };
    const upgrade: Gateway['upgrade'] = (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path !== BASE_PATH && !path.startsWith(`${BASE_PATH}/`)) return false;
      void dispatchUpgrade(req, socket, head);
      return true;
    };

    const fallback = opts.fallback;
    const server: Server = createGatewayServer({
      // Outside /api/v1: the `fallback` option (e.g. the web console), else 404.
      handler: (req, res) => handler(req, res, fallback ? () => fallback(req, res) : undefined),
      upgrade,
      limits: opts.limits,
      isTrustedProxy,
      logger,
    });

    const started: Capability[] = [];
    for (const c of capabilities) {
      await c.start?.();
      started.push(c);
    }

    let closing: Promise<void> | null = null;
    return {
      server,
      handler,
      upgrade,
      bus,
      sessions: sessions.manager,
      sandbox: sandboxStatus,
      stores,
      routes,
      upgrades,
      listen(port = opts.port, host = opts.host) {
        return new Promise((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          server.once('error', onError);
          server.listen(port, host, () => {
            server.off('error', onError);
            const addr = server.address() as AddressInfo;
            const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
            // Agent hooks call the loopback address even when the gateway listens on every interface.
            const loopback = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : shownHost;
            ctx.endpoint.url = `http://${loopback}:${addr.port}`;
            resolve({ url: `http://${shownHost}:${addr.port}`, port: addr.port });
          });
        });
      },
      close() {
        closing ??= (async () => {
          server.close();
          // Sessions stop first, while subscribers are connected: they see every session.ended.
          for (const c of started) {
            try {
              await c.drain?.();
            } catch (err) {
              logger.error('capability failed to drain', { error: err });
            }
          }
          await ctx.connections.closeAll(CloseCode.goingAway, 'gateway shutting down');
          for (const c of started.reverse()) {
            try {
              await c.stop?.();
            } catch (err) {
              logger.error('capability failed to stop', { error: err });
            }
          }
          await callLog.close();
          stopLifecycleLog();
          bus.close();
          server.closeAllConnections();
          if (typeof opts.storage === 'string' && opts.storage !== 'memory') await keyv.disconnect();
          await dataDir.dispose();
        })();
        return closing;
      },
    };
  } catch (err) {
    if (typeof opts.storage === 'string' && opts.storage !== 'memory') await keyv.disconnect().catch(() => undefined);
    await dataDir.dispose().catch(() => undefined);
    throw err;
  }
}

async function adminCredentials(
  admin: { username: string; password: string } | { username: string; passwordHash: string } | undefined,
  cost: number,
): Promise<AdminCredentials | null> {
  if (!admin) return null;
  if ('passwordHash' in admin) return admin;
  checkAdminPassword(admin.password, 'auth.admin.password');
  return { username: admin.username, passwordHash: await bcrypt.hash(admin.password, cost) };
}
