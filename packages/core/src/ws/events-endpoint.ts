import type { Capability, GatewayContext } from '../context.js';

/** Scaffold: filled in by its issue. */
export function createEventsCapability(_ctx: GatewayContext): Capability {
  return {};
}
