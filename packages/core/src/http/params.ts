import { T } from '@opendray/sdk/wire';

/**
 * Path parameters of the route table. An id is any non-empty string: an unknown or malformed
 * one is a 404 from the handler (as if absent), never a 400 that tells ids apart.
 */
export const IdParams = T.Object({ id: T.String({ description: 'The resource id' }) });
export const PrefixParams = T.Object({ prefix: T.String({ description: "The integration's route_prefix" }) });
