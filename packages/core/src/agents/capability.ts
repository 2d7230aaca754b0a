import type { AgentKind } from '@opendray/sdk/wire';
import type { GatewayContext } from '../context.js';
import type { Route } from '../http/route.js';
import type { SessionObserverFactory } from '../sessions/observer.js';
import type { LaunchSpec } from '../sessions/providers/launch.js';
import type { ProviderManifest } from '../sessions/providers/types.js';
import { findExecutable } from '../sessions/providers/which.js';
import type { LiveSession } from '../sessions/session.js';
import type { SessionManager } from '../sessions/session-manager.js';
import { AgentDetector } from './detector.js';
import { injectHooks } from './hook-injection.js';
import { HookTokens } from './hook-tokens.js';
import { agentRoutes } from './routes.js';
import { loadAgentRules } from './rules.js';
import { createTempSessionFiles } from './session-files.js';

/** Agent awareness as the sessions capability plugs it in (SPEC §17). */
export interface AgentsCapability {
  /** The detector factory: one per run of a session whose provider declares an agent. */
  observer: SessionObserverFactory;
  /** Adds the agent's hooks (token, per-session files) to a launch. */
  prepareLaunch(input: { session: LiveSession; launch: LaunchSpec; resume: boolean; home: string }): Promise<LaunchSpec>;
  routes(manager: SessionManager): Route[];
  /** Forgets a deleted session's files. */
  forget(sessionId: string): Promise<void>;
}

/**
 * Builds agent awareness: rules (shipped data files, operator overrides), hook tokens,
 * per-session files, the detectors of live sessions, and the agent routes. Hooks are
 * injected only once the gateway knows the URL they should call (`listen()`, or
 * `agentHooks.baseUrl` for a gateway mounted in another server).
 */
export function createAgentsCapability(ctx: GatewayContext, manifestOf: (providerId: string) => ProviderManifest | undefined): AgentsCapability {
  const rules = loadAgentRules(ctx.options.agentRules);
  const tokens = new HookTokens();
  const files = ctx.options.sessionFiles ?? createTempSessionFiles();
  const detectors = new Map<string, AgentDetector>();
  const hookOptions = ctx.options.agentHooks ?? {};
  let curl: Promise<string | null> | null = null;
  const agentOf = (providerId: string): AgentKind | undefined => manifestOf(providerId)?.agent;

  return {
    observer(session) {
      const kind = agentOf(session.record().provider_id);
      if (!kind) return undefined;
      const detector = new AgentDetector(kind, rules[kind], session, ctx.logger, () => {
        if (detectors.get(session.id) === detector) detectors.delete(session.id);
        tokens.revoke(session.id);
      });
      detectors.set(session.id, detector);
      return detector;
    },

    async prepareLaunch({ session, launch, home }) {
      const kind = agentOf(session.record.provider_id);
      const base = hookOptions.baseUrl ?? ctx.endpoint.url;
      if (!kind || hookOptions.enabled === false || !base) return launch;
      const dir = await files.dir(session.id);
      curl ??= hookOptions.curl === false ? Promise.resolve(null) : findExecutable(hookOptions.curl ?? 'curl');
      return injectHooks(launch, {
        kind,
        url: `${base.replace(/\/+$/, '')}/api/v1/sessions/${session.id}/agent-events`,
        token: tokens.mint(session.id),
        dir,
        node: process.execPath,
        curl: await curl,
        home,
      });
    },

    routes: (manager) =>
      agentRoutes({
        manager,
        detectors,
        tokens,
        prompt: { clock: ctx.clock, cursorOf: (id) => manager.get(id)?.bytes_out ?? 0 },
        now: () => ctx.clock.now(),
      }),

    forget: (id) => files.remove(id).catch(() => undefined),
  };
}
