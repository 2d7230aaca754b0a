import type { Capability, GatewayContext } from '../context.js';

/** Scaffold: filled in by its issue. */
export function createChannelsCapability(_ctx: GatewayContext): Capability {
  return {};
}
