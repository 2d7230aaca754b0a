import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import bcrypt from 'bcrypt';
import { createAdminAuth, type AdminCredentials } from './auth/admin.js';
import { createAuthenticator } from './auth/authenticate.js';
import { createRateLimiter } from './auth/rate-limit.js';
import { createLocalBus } from './bus/local-bus.js';
import type { EventBus } from './bus/types.js';
import { createCallLog } from './calllog/call-log.js';
import { recordInboundCalls, recordRejectedUpgrades } from './calllog/record-inbound.js';
import { createChannelsCapability } from './channels/capability.js';
import type { Capability, GatewayContext } from './context.js';
import { createStores, resolveOptions } from './defaults.js';
import { createHealthCapability } from './health/capability.js';
import { createPipeline } from './http/pipeline.js';
import type { Route } from './http/route.js';
import { Router } from './http/router.js';
import { authRoutes } from './http/routes/auth.js';
import { healthRoutes } from './http/routes/health.js';
import { openApiRoutes } from './http/routes/openapi.js';
import { createIntegrationsCapability } from './integrations/capability.js';
import { silentLogger } from './log.js';
import type { GatewayOptions } from './options.js';
import { createProxyCapability } from './proxy/capability.js';
import { logAccess } from './observability/access-log.js';
import { logLifecycle } from './observability/lifecycle-log.js';
import { createNodePtyBackend } from './pty/node-pty-backend.js';
import { createSessionsCapability, type SessionManager } from './sessions/capability.js';
import { openStorage } from './stores/keyv/open.js';
import type { Stores } from './stores/types.js';
import { CloseCode } from './ws/close-codes.js';
import { createConnectionRegistry } from './ws/connections.js';
import { createEventsCapability } from './ws/events-endpoint.js';
import { createUpgradeDispatcher, type UpgradeEndpoint } from './ws/upgrade.js';

const BASE_PATH = '/api/v1';

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
  const keyv = await openStorage(opts.storage);
  const stores = createStores(keyv, opts.stores, () => clock.now());
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
    connections: createConnectionRegistry(),
    callLog,
    endpoint: { url: null },
  };

  const admin = createAdminAuth({
    credentials: await adminCredentials(opts.auth?.admin, opts.bcryptCost),
    staticToken: opts.auth?.adminToken ?? null,
    tokens: stores.adminTokens,
    tokenTtlMs: opts.auth?.tokenTtlMs ?? 86_400_000,
    loginFailures: createRateLimiter({ clock, ...(opts.auth?.loginRateLimit ?? { max: 10, windowMs: 900_000 }) }),
    clock,
  });
  const sessions = createSessionsCapability(ctx);
  const capabilities: Capability[] = [
    { routes: [...healthRoutes({ keyv, version: opts.version, startedAt: clock.now(), now: () => clock.now() }), ...authRoutes(admin)] },
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
    createRateLimiter({ clock, ...(opts.auth?.credentialRateLimit ?? { max: 30, windowMs: 60_000 }) }),
  );
  const hooks = opts.hooks ?? {};
  const pipeline = createPipeline({
    basePath: BASE_PATH,
    router,
    authenticator,
    bodyLimitBytes: opts.bodyLimitBytes,
    logger,
    now: () => clock.now(),
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
    logger,
    onRejected: recordRejectedUpgrades(callLog, () => clock.now()),
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

  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => handler(req, res));
  server.on('upgrade', (req, socket, head) => {
    if (!upgrade(req, socket, head)) socket.destroy();
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
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
        ctx.connections.closeAll(CloseCode.goingAway, 'gateway shutting down');
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
      })();
      return closing;
    },
  };
}

async function adminCredentials(
  admin: { username: string; password: string } | { username: string; passwordHash: string } | undefined,
  cost: number,
): Promise<AdminCredentials | null> {
  if (!admin) return null;
  if ('passwordHash' in admin) return admin;
  return { username: admin.username, passwordHash: await bcrypt.hash(admin.password, cost) };
}
