// @ts-check
// The admin side of the demo: an operator credential, used only where SPEC §4 needs one
// (registering the integration, rotating its key, deleting it).
import { OpendrayClient } from '@opendray/sdk';

/**
 * @typedef {object} AdminAccess
 * @property {boolean} available  whether a credential was given at all
 * @property {string} source  where it comes from, for the printout (never the secret)
 * @property {(why: string) => Promise<OpendrayClient>} get  the admin client; logs in on first use
 * @property {() => Promise<void>} close  revokes the login token, if the demo logged in
 */

/**
 * Admin access from `OPENDRAY_ADMIN_TOKEN` (a static token) or `OPENDRAY_ADMIN_USER` +
 * `OPENDRAY_ADMIN_PASSWORD` (logged in lazily, logged out by `close`).
 *
 * @param {string} baseUrl
 * @param {NodeJS.ProcessEnv} env
 * @returns {AdminAccess}
 */
export function createAdminAccess(baseUrl, env) {
  const token = env.OPENDRAY_ADMIN_TOKEN || undefined;
  const user = env.OPENDRAY_ADMIN_USER || undefined;
  const password = env.OPENDRAY_ADMIN_PASSWORD || undefined;
  /** @type {Promise<OpendrayClient> | undefined} */
  let pending;
  let loggedIn = false;

  return {
    available: Boolean(token || (user && password)),
    source: token ? 'OPENDRAY_ADMIN_TOKEN' : user && password ? `admin login as "${user}"` : 'none',
    get(why) {
      if (!token && !(user && password)) {
        return Promise.reject(
          new Error(`${why} needs an admin credential: set OPENDRAY_ADMIN_TOKEN, or OPENDRAY_ADMIN_USER and OPENDRAY_ADMIN_PASSWORD`),
        );
      }
      pending ??= (async () => {
        const client = new OpendrayClient({ baseUrl, token });
        if (!token && user && password) {
          await client.login(user, password);
          loggedIn = true;
        }
        return client;
      })();
      return pending;
    },
    async close() {
      if (!loggedIn || !pending) return;
      await (await pending).logout().catch(() => undefined);
    },
  };
}
