// @ts-check
// Where the bot's two secrets come from: the API key (to call the gateway) and the signing
// secret (to check the gateway's calls). Both are returned once, by registration or rotation.
import { readFile, stat } from 'node:fs/promises';
import { FileKeyStore } from '@opendray/sdk/node';

/**
 * From `OPENDRAY_API_KEY` / `OPENDRAY_SIGNING_SECRET`, else from `OPENDRAY_KEY_FILE`: a
 * FileKeyStore file, or the registration answer saved as is (`{integration, api_key,
 * signing_secret}`), which holds both.
 *
 * @param {NodeJS.ProcessEnv} env
 * @param {(line: string) => void} log
 * @returns {Promise<{ apiKey: string | undefined, signingSecret: string | undefined }>}
 */
export async function loadCredentials(env, log) {
  let apiKey = env.OPENDRAY_API_KEY || undefined;
  let signingSecret = env.OPENDRAY_SIGNING_SECRET || undefined;
  const file = env.OPENDRAY_KEY_FILE;
  if (file && (!apiKey || !signingSecret)) {
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) log(`warning: ${file} is readable by others (mode 0${mode.toString(8)}); chmod 600 it`);
    apiKey ??= (await new FileKeyStore(file).load())?.api_key;
    if (!signingSecret) {
      try {
        const record = JSON.parse(await readFile(file, 'utf8'));
        if (typeof record?.signing_secret === 'string') signingSecret = record.signing_secret;
      } catch {
        // a bare key file: the secret must come from OPENDRAY_SIGNING_SECRET
      }
    }
  }
  return { apiKey, signingSecret };
}
