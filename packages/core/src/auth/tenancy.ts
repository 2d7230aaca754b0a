import { notFound } from '../errors.js';
import type { Principal } from './principal.js';

/**
 * Tenancy (SPEC §3): an integration sees only what it owns; the admin sees everything.
 * A resource is owned by the integration named in its `integration_id`; operator-made
 * resources (no `integration_id`) belong to no integration.
 */
export function canSee(principal: Principal, ownerIntegrationId: string | undefined): boolean {
  return principal.kind === 'admin' || (ownerIntegrationId !== undefined && ownerIntegrationId === principal.id);
}

/** Returns the resource when `principal` may see it; otherwise throws the same 404 as a missing one. */
export function ownedOr404<T extends { integration_id?: string }>(principal: Principal, resource: T | undefined, what: string): T {
  if (!resource || !canSee(principal, resource.integration_id)) throw notFound(what);
  return resource;
}

/** The integration id new resources of `principal` belong to (undefined for the operator). */
export function tenantOf(principal: Principal): string | undefined {
  return principal.kind === 'integration' ? principal.id : undefined;
}
