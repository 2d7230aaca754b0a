import type { UpgradeEndpoint } from '../../ws/upgrade.js';
import type { Route } from '../route.js';

/** Scaffold: `GET /openapi.json`, filled in by the SDK/docs issue. */
export function openApiRoutes(_routes: () => readonly Route[], _upgrades: readonly UpgradeEndpoint[]): Route[] {
  return [];
}
