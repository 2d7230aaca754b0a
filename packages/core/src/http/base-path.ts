/** Every route of the gateway lives under this path (SPEC §1). */
export const BASE_PATH = '/api/v1';
