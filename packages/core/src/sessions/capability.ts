import type { Capability, GatewayContext } from '../context.js';

/** Scaffold: the session manager, filled in by the sessions issue. */
export type SessionManager = Record<string, never>;

export function createSessionsCapability(_ctx: GatewayContext): Capability & { manager: SessionManager } {
  return { manager: {} };
}
