import { badRequest } from '../errors.js';
import type { ProviderManifest } from './providers/types.js';

/**
 * What a create request's `env` and `args` may not do, for every provider (SPEC §15). The
 * request's variables are applied over the operator's, so each name here would let an
 * integration run code the operator never chose, redirect the operator's API key, or
 * reach the gateway's own settings. `PREFIX_*` and `*_SUFFIX` match by prefix and suffix;
 * names compare case-insensitively (`http_proxy` is read as often as `HTTP_PROXY`).
 */
export const REFUSED_ENV: readonly string[] = [
  // the gateway's own, and what the gateway sets for the session
  'OPENDRAY_*', 'HOME', 'PATH', 'SHELL',
  // how programs load code
  'LD_*', 'DYLD_*', 'GLIBC_TUNABLES', 'GCONV_PATH', 'LOCPATH', 'NLSPATH', 'TERMINFO', 'TERMINFO_DIRS', 'HOSTALIASES',
  'NODE_*', 'NPM_CONFIG_*', 'BASH_ENV', 'ENV', 'PROMPT_COMMAND', 'SHELLOPTS', 'BASHOPTS',
  'PYTHON*', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH',
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH', 'LUA_INIT', 'LUA_PATH', 'LUA_CPATH', 'PHPRC', 'PHP_INI_SCAN_DIR',
  // programs other programs start
  'GIT_*', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'LESSOPEN', 'LESSCLOSE',
  // where configuration comes from
  'XDG_*',
  // where the operator's API keys and traffic go, and whom TLS trusts
  '*_BASE_URL', '*_API_BASE', '*_ENDPOINT', '*_PROXY', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE',
];

/** Names inside refused families that only describe, never run anything. */
const ALLOWED_ENV = new Set(['NODE_ENV', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL']);

/** Whether `name` matches one of `patterns` (`X_*` prefix, `*_X` suffix, else exact; case-insensitive). */
export function envNameMatches(name: string, patterns: readonly string[]): string | undefined {
  const upper = name.toUpperCase();
  return patterns.find((p) => {
    const q = p.toUpperCase();
    if (q.endsWith('*')) return upper.startsWith(q.slice(0, -1));
    if (q.startsWith('*')) return upper.endsWith(q.slice(1));
    return upper === q;
  });
}

/**
 * 400 naming the first request variable the policy refuses: the common list, the
 * provider's `refuse_env`, and the variables of config fields the operator pinned
 * (`config_env`; a secret such as an API key may be replaced by the integration's own).
 */
export function checkRequestEnv(manifest: ProviderManifest, env: Readonly<Record<string, string>>, pinned: ReadonlySet<string> = new Set()): void {
  const pinnedEnv = Object.entries(manifest.config_env ?? {})
    .filter(([key]) => pinned.has(key) && !manifest.config_schema[key]?.secret)
    .map(([, name]) => name);
  const patterns = [...REFUSED_ENV, ...(manifest.refuse_env ?? []), ...pinnedEnv];
  for (const name of Object.keys(env)) {
    if (ALLOWED_ENV.has(name.toUpperCase())) continue;
    const hit = envNameMatches(name, patterns);
    if (hit) {
      throw badRequest(`env.${name}: refused for provider "${manifest.id}" (matches ${hit}: it changes what code the session runs or where it connects; docs/security.md)`);
    }
  }
}

/**
 * 400 naming the first request argument the policy refuses (SPEC §15): any, when the
 * provider takes none (`accepts_args: false`); one of its `refuse_args` (flags that run
 * code or bypass the agent's permission checks); or a flag that would override a config
 * field the operator has set (`pinned`: the field's own flag and its `overridden_by`), or
 * a flag the integration's spawn profile puts on the command line (`profileFlags`).
 * The request is refused rather than the pinned flag made to win: a silently ignored
 * argument would hide what happened from the integration (docs/security.md).
 */
export function checkRequestArgs(
  manifest: ProviderManifest,
  pinned: ReadonlySet<string>,
  args: readonly string[],
  profileFlags: readonly string[] = [],
): void {
  if (args.length === 0) return;
  if (manifest.accepts_args === false) throw badRequest(`args: provider "${manifest.id}" takes no request arguments`);
  const pinnedFlags: Array<[string, string]> = [];
  for (const key of pinned) {
    const flag = manifest.config_flags?.[key];
    for (const f of [...(flag ? [flag] : []), ...(manifest.config_schema[key]?.overridden_by ?? [])]) pinnedFlags.push([f, key]);
  }
  args.forEach((arg, i) => {
    const refused = (manifest.refuse_args ?? []).find((flag) => argMatches(arg, flag));
    if (refused) {
      throw badRequest(`args[${i}]: ${JSON.stringify(refused)} is not allowed in requests for provider "${manifest.id}" (it runs code or bypasses the agent's permission checks)`);
    }
    const pin = pinnedFlags.find(([flag]) => argMatches(arg, flag));
    if (pin) throw badRequest(`args[${i}]: ${JSON.stringify(pin[0])} would override "${pin[1]}", which the operator set for provider "${manifest.id}"`);
    const fromProfile = profileFlags.find((flag) => argMatches(arg, flag));
    if (fromProfile) throw badRequest(`args[${i}]: ${JSON.stringify(fromProfile)} would override the integration's spawn profile, which the operator set`);
  });
}

/**
 * Whether one argument is (or sets) `flag`: `--long` also as `--long=value` and in
 * camelCase or snake_case spellings (yargs and clap accept those); `-x` also with an
 * attached value (`-xVALUE`) or inside a cluster (`-ax`); a bare word is a sub-command,
 * matched exactly. Errs on the side of refusing.
 */
export function argMatches(arg: string, flag: string): boolean {
  if (flag.startsWith('--')) {
    if (!arg.startsWith('--')) return false;
    const name = arg.slice(2).split('=')[0]!;
    return normalizeLong(name) === normalizeLong(flag.slice(2));
  }
  if (flag.startsWith('-')) {
    if (!arg.startsWith('-') || arg.startsWith('--')) return false;
    const letters = /^-([A-Za-z]*)/.exec(arg)![1]!;
    return letters.includes(flag.slice(1));
  }
  return arg === flag;
}

const normalizeLong = (name: string): string => name.replace(/[-_]/g, '').toLowerCase();
