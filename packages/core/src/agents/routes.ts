import {
  AgentEventsQuery,
  AgentHookPayload,
  AgentReport,
  PermissionRequest,
  PermissionResult,
  PromptRequest,
  PromptResult,
  type AgentStatus,
} from '@opendray/sdk/wire';
import type { Principal } from '../auth/principal.js';
import { visibleSessionOr404 } from '../auth/tenancy.js';
import { badRequest, conflict, notFound, rateLimited, unauthorized } from '../errors.js';
import { bearerTokenOf } from '../http/request-meta.js';
import { IdParams } from '../http/params.js';
import { defineRoute, json, type Route } from '../http/route.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { AgentDetector } from './detector.js';
import type { HookTokens } from './hook-tokens.js';
import { parsePrompt, promptAndWait, type PromptDeps } from './prompt.js';

const EVENT_NAME = /^[A-Za-z][A-Za-z_-]{0,63}$/;
/** Hook calls one session may make per window (a hostile session only floods itself, but bounded). */
const HOOK_BUDGET = { max: 300, windowMs: 10_000 };

export interface AgentRouteDeps {
  manager: SessionManager;
  detectors: ReadonlyMap<string, AgentDetector>;
  tokens: HookTokens;
  prompt: Omit<PromptDeps, 'manager'>;
  now(): number;
}

/**
 * The agent routes of SPEC §17: the hook endpoint (its own per-session token, valid only
 * here), `GET /agent` with `explain`, prompt-and-wait and the permission answer.
 */
export function agentRoutes(deps: AgentRouteDeps): Route[] {
  const { manager, detectors } = deps;
  // Who may see a session may ask after its agent (SPEC §3); the route's scope decides the rest.
  const visible = (principal: Principal | null, id: string) => visibleSessionOr404(principal!, manager.get(id));
  const NOT_AGENT_409 = 'The session is not running, or runs no agent';
  const busy = new Set<string>();
  const budgets = new Map<string, { start: number; n: number }>();

  const liveDetector = (id: string): AgentDetector => {
    const session = manager.get(id);
    if (!session || (session.state !== 'running' && session.state !== 'idle')) throw conflict('session is not running');
    const d = detectors.get(id);
    if (!d) throw conflict('session runs no agent (its provider declares none)');
    return d;
  };

  return [
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/agent-events',
      // Authenticated in the handler by the session's hook token, which no other route accepts.
      access: 'public',
      operationId: 'agentEvents',
      summary: "Agent hook calls (SPEC §17); bearer = the session's hook token, minted at spawn",
      description: "Called by the hooks the gateway injected at spawn, with that session's own bearer token; no other credential is accepted here and that token is accepted nowhere else.",
      params: IdParams,
      query: AgentEventsQuery,
      body: AgentHookPayload,
      response: { 200: AgentHookPayload },
      errors: { 401: "Not this session's hook token (it dies with the process)", 429: 'Too many hook calls from this session' },
      handler: ({ params, req, query, body }) => {
        const id = params.id;
        if (!deps.tokens.verify(id, bearerTokenOf(req, null))) throw unauthorized();
        const detector = detectors.get(id);
        if (!detector) throw unauthorized();
        const now = deps.now();
        const budget = budgets.get(id);
        if (!budget || now - budget.start > HOOK_BUDGET.windowMs) budgets.set(id, { start: now, n: 1 });
        else if (++budget.n > HOOK_BUDGET.max) throw rateLimited(HOOK_BUDGET.windowMs / 1000, 'too many hook calls');
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body: must be a JSON object');
        const payload = body as Record<string, unknown>;
        const event = query.event ?? (typeof payload.hook_event_name === 'string' ? payload.hook_event_name : '');
        if (!EVENT_NAME.test(event)) throw badRequest('event: must be a hook event name');
        detector.hook(event, payload);
        return json({});
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/{id}/agent',
      access: 'session:read',
      operationId: 'agent',
      summary: 'What the agent is doing, and why the gateway believes it (explain: the last 50 judgements)',
      params: IdParams,
      response: { 200: AgentReport },
      errors: { 404: 'No such session, or it runs a plain command' },
      handler: ({ params, principal }) => {
        const session = visible(principal, params.id);
        const d = detectors.get(session.id);
        const status: AgentStatus | null | undefined = d?.status ?? session.agent;
        if (!status) throw notFound('agent (the session runs a plain command)');
        const agentSessionId = d?.agentSessionId();
        const report: AgentReport = { session_id: session.id, ...status, explain: d ? [...d.explain] : [], ...(agentSessionId ? { agent_session_id: agentSessionId } : {}) };
        return json(report);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/prompt',
      access: 'session:input',
      operationId: 'prompt',
      summary: 'Type a prompt, submit it the way the CLI needs, and wait for the turn (SPEC §17)',
      params: IdParams,
      body: PromptRequest,
      response: { 200: PromptResult },
      errors: { 409: `agent_busy (working), agent_blocked (a dialog is up; the message has its text), or: ${NOT_AGENT_409}` },
      handler: async ({ params, principal, body, res }) => {
        const session = visible(principal, params.id);
        const p = parsePrompt(body);
        const detector = liveDetector(session.id);
        const abort = new AbortController();
        const onClose = (): void => abort.abort();
        res.once('close', onClose);
        try {
          return json(await promptAndWait({ manager, ...deps.prompt }, session.id, detector, busy, p, abort.signal));
        } finally {
          res.off('close', onClose);
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sessions/{id}/permission',
      access: 'session:input',
      operationId: 'permission',
      summary: 'Answer the dialog that is up: {decision: "allow" | "deny"}; 409 when none is',
      params: IdParams,
      body: PermissionRequest,
      response: { 200: PermissionResult },
      errors: { 409: `No dialog is up, or: ${NOT_AGENT_409}` },
      handler: async ({ params, principal, body }) => {
        const session = visible(principal, params.id);
        const decision = body.decision;
        const detector = liveDetector(session.id);
        if (detector.status.state !== 'blocked') throw conflict('no dialog is up');
        const sent = await detector.answer(decision, (keys) => {
          try {
            manager.write(session.id, keys);
          } catch {
            // The session ended meanwhile; the detector sees the end.
          }
        });
        if (!sent) throw conflict('no dialog is up');
        return json({ decision, agent: detector.status });
      },
    }),
  ];
}
