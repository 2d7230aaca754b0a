import type { Capability, GatewayContext } from '../context.js';
import { telegramAdapterFactory } from './adapters/telegram.js';
import { webhookAdapterFactory } from './adapters/webhook.js';
import { createChannelManager, type ChannelManager } from './manager.js';
import { channelRoutes } from './routes.js';
import type { ChannelAdapterFactory } from './types.js';

/** The adapter kinds every gateway knows (SPEC §7). */
export const BUILTIN_CHANNEL_ADAPTERS: Readonly<Record<string, ChannelAdapterFactory>> = {
  webhook: webhookAdapterFactory,
  telegram: telegramAdapterFactory,
};

/**
 * Channels (SPEC §7): the `/channels` routes, the built-in adapters plus the embedder's
 * `channelAdapters` (which may override a built-in kind). `start` starts every enabled
 * stored channel; `stop` stops them all, aborting long polls.
 */
export function createChannelsCapability(ctx: GatewayContext): Capability & { manager: ChannelManager } {
  const extra = ctx.options.channelAdapters ?? {};
  for (const [kind, factory] of Object.entries(extra)) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(kind)) throw new TypeError(`channelAdapters: kind "${kind}" must match ^[a-z][a-z0-9_-]{0,31}$`);
    if (typeof factory?.create !== 'function' || typeof factory.validateConfig !== 'function' || !Array.isArray(factory.secretKeys)) {
      throw new TypeError(`channelAdapters.${kind} must have secretKeys, validateConfig and create`);
    }
  }
  const manager = createChannelManager({
    store: ctx.stores.channels,
    bus: ctx.bus,
    clock: ctx.clock,
    logger: ctx.logger,
    factories: { ...BUILTIN_CHANNEL_ADAPTERS, ...extra },
  });
  return {
    manager,
    routes: channelRoutes(manager, { bodyLimitBytes: ctx.options.bodyLimitBytes, bodyTimeoutMs: ctx.options.limits.bodyTimeoutMs, now: () => ctx.clock.now() }),
    start: () => manager.start(),
    stop: () => manager.stop(),
  };
}
