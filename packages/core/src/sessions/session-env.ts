/**
 * The environment of a session's process, from an allow-list (SPEC §15): of the gateway's
 * own environment only `PATH`, `LANG`, `LC_*`, `USER`, `LOGNAME` and `SHELL` pass; `HOME`
 * is the session's (the operator's, or the integration's own); then the provider's
 * variables (manifest and config, the operator's choice) and the request's (already past
 * the launch policy); `TERM` last (SPEC §5.2). No `OPENDRAY_*` variable ever passes, from
 * any layer: the gateway's secrets live there.
 */
export interface SessionEnvInput {
  /** The session's HOME directory. */
  home: string;
  /** The provider's and the request's variables, merged (request over provider). */
  launchEnv: Readonly<Record<string, string>>;
  /** The gateway's environment. @default process.env, read at call time */
  gatewayEnv?: NodeJS.ProcessEnv;
}

const PASSED = new Set(['PATH', 'LANG', 'USER', 'LOGNAME', 'SHELL']);
const GATEWAY_PREFIX = /^OPENDRAY_/i;

/** Whether a variable of the gateway's own environment may reach a session. */
export function passesFromGateway(name: string): boolean {
  return PASSED.has(name) || name.startsWith('LC_');
}

export function sessionEnv(input: SessionEnvInput): Record<string, string> {
  const source = input.gatewayEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (value !== undefined && passesFromGateway(name)) env[name] = value;
  }
  env.HOME = input.home;
  for (const [name, value] of Object.entries(input.launchEnv)) {
    if (!GATEWAY_PREFIX.test(name)) env[name] = value;
  }
  env.TERM = 'xterm-256color';
  return env;
}
