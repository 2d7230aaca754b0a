/** The call-log `route` of every proxied request (SPEC §10). */
export const PROXY_ROUTE = '/proxy/{prefix}/*';

/** Where an integration's base_url path is seen through the gateway. */
export function publicPrefixOf(routePrefix: string): string {
  return `/api/v1/proxy/${routePrefix}`;
}
