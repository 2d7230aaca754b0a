import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Session, SessionState } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { badRequest, conflict, notFound, rateLimited } from '../errors.js';
import type { PtyProcess } from '../pty/types.js';
import { newId } from '../security.js';
import type { SessionRecord } from '../stores/types.js';
import { parseInput, submittedMessage, type SessionInput } from './input.js';
import { SessionPersistence } from './persistence.js';
import type { ProviderRegistry } from './providers/registry.js';
import { RingBuffer, type BufferSlice } from './ring-buffer.js';
import type { SessionObserverFactory } from './observer.js';
import type { LaunchSpec } from './providers/launch.js';
import { LiveSession, type EndInfo } from './session.js';
import type { SessionManager, SessionOwner } from './types.js';
import { parseCreate } from './create-params.js';

export type { Attachment, SessionFilter, SessionManager, SessionOwner } from './types.js';
export type { BufferSlice } from './ring-buffer.js';
export type { EndInfo, SessionListener } from './session.js';

/** The pause between a `text` and its submit key: agent TUIs take a burst ending in Enter for a paste (SPEC §5.6). */
export const SUBMIT_DELAY_MS = 60;
const LIVE_STATES = new Set<SessionState>(['running', 'idle']);

/** The manager plus what only the capability calls. */
export interface SessionManagerInternals extends SessionManager {
  load(): Promise<void>;
  /** Stops every session as `interrupted` and saves everything (gateway shutdown). */
  shutdown(): Promise<void>;
  /** Stops the live sessions of an integration (it was deleted). */
  stopAllOf(integrationId: string): Promise<void>;
}

/**
 * What other capabilities add to every session (SPEC §17): observers of each run, and a
 * last step of the launch (the agent hooks: extra args, env and per-session files).
 */
export interface SessionExtensions {
  observers?: readonly SessionObserverFactory[];
  prepareLaunch?(input: { session: LiveSession; launch: LaunchSpec; resume: boolean }): Promise<LaunchSpec>;
  /** A session was deleted: drop what was kept for it. */
  forget?(sessionId: string): Promise<void>;
}

export function createSessionManager(ctx: GatewayContext, providers: ProviderRegistry, extensions: SessionExtensions = {}): SessionManagerInternals {
  const sessions = new Map<string, LiveSession>();
  /** Creates and restarts in progress per integration, counted against `max_sessions`. */
  const pending = new Map<string, number>();
  const starting = new Set<string>();
  const persistence = new SessionPersistence(ctx.stores.sessions, ctx.logger, (s) => sessions.get(s.id) === s);
  const deps = {
    ctx,
    persist: (s: LiveSession) => {
      // An end is saved with its tail (SPEC §5.3: the tail stays readable after a restart).
      void (s.live ? persistence.saveRecord(s) : persistence.saveTail(s));
    },
    loadTail: (id: string) => ctx.stores.sessions.loadTail(id),
    observers: extensions.observers ?? [],
  };
  const prepare = (session: LiveSession, launch: LaunchSpec, resume: boolean): Promise<LaunchSpec> =>
    extensions.prepareLaunch ? extensions.prepareLaunch({ session, launch, resume }) : Promise.resolve(launch);

  const must = (id: string): LiveSession => {
    const s = sessions.get(id);
    if (!s) throw notFound('session');
    return s;
  };

  const liveCount = (integrationId: string): number => {
    let n = pending.get(integrationId) ?? 0;
    for (const s of sessions.values()) if (s.live && s.record.integration_id === integrationId) n++;
    return n;
  };

  /** Reserves a slot under `max_sessions` synchronously, so concurrent creates cannot overshoot. */
  const reserve = (owner: SessionOwner | undefined): (() => void) => {
    const id = owner?.integrationId;
    if (!id) return () => {};
    const max = owner.maxSessions ?? Infinity;
    if (liveCount(id) >= max) throw rateLimited(30, `max_sessions (${max}) reached for this integration`);
    pending.set(id, (pending.get(id) ?? 0) + 1);
    return () => {
      const left = (pending.get(id) ?? 1) - 1;
      if (left > 0) pending.set(id, left);
      else pending.delete(id);
    };
  };

  const spawn = (session: LiveSession, launch: { command: string; args: string[]; env: Record<string, string>; submitKey: string }, ring: RingBuffer): void => {
    const { cols, rows, cwd } = session.record;
    let pty: PtyProcess;
    try {
      pty = ctx.pty.spawn(launch.command, launch.args, {
        name: 'xterm-256color',
        cols,
        rows,
        cwd,
        env: { ...inheritedEnv(), ...launch.env, TERM: 'xterm-256color' },
        encoding: null,
      });
    } catch (err) {
      throw conflict(`could not start ${launch.command}: ${err instanceof Error ? err.message : String(err)}`);
    }
    session.attach(pty, launch.submitKey, ring);
  };

  const manager: SessionManagerInternals = {
    async create(request, owner) {
      const params = await parseCreate(request, ctx.options);
      if (!providers.get(params.provider_id)) {
        throw badRequest(`provider_id: unknown provider ${JSON.stringify(params.provider_id)}`);
      }
      const release = reserve(owner);
      try {
        const agentSessionId = randomUUID();
        const launch = await providers.resolveLaunch(params.provider_id, {
          args: params.args,
          env: params.env,
          ...(params.model !== undefined ? { model: params.model } : {}),
          agentSessionId,
          resume: false,
        });
        const id = newId('ses');
        const now = isoTime(ctx.clock.now());
        const record: SessionRecord = {
          id,
          name: params.name ?? `${params.provider_id}-${id.slice(-4)}`,
          provider_id: params.provider_id,
          cwd: params.cwd,
          args: params.args,
          state: 'running',
          cols: params.cols,
          rows: params.rows,
          origin: owner?.integrationId ? 'integration' : 'operator',
          ...(owner?.integrationId ? { integration_id: owner.integrationId } : {}),
          created_at: now,
          started_at: now,
          bytes_out: 0,
          env: params.env,
          ...(params.model !== undefined ? { model: params.model } : {}),
          agent_session_id: agentSessionId,
          history: [],
        };
        const session = new LiveSession(record, deps);
        sessions.set(id, session);
        try {
          spawn(session, await prepare(session, launch, false), new RingBuffer(ctx.options.bufferBytes));
        } catch (err) {
          sessions.delete(id);
          throw err;
        }
        await persistence.saveRecord(session);
        return session.view();
      } finally {
        release();
      }
    },

    list(filter = {}) {
      const out: Session[] = [];
      for (const s of sessions.values()) {
        const r = s.record;
        if (filter.state && r.state !== filter.state) continue;
        if (filter.provider_id && r.provider_id !== filter.provider_id) continue;
        if (filter.integration_id && r.integration_id !== filter.integration_id) continue;
        out.push(s.view());
      }
      return out;
    },

    get: (id) => sessions.get(id)?.view(),

    async input(id, body) {
      const session = must(id);
      const input: SessionInput = parseInput(body);
      if (!session.live) throw conflict('session is not running');
      const message = submittedMessage(input);
      await session.enqueueInput(async () => {
        if (input.kind === 'data') session.write(input.data);
        else if (input.kind === 'keys') session.write(input.bytes);
        else {
          session.write(input.text);
          await new Promise((r) => setTimeout(r, SUBMIT_DELAY_MS));
          session.write(session.submitKey);
        }
      });
      if (message !== undefined) session.addHistory(message);
    },

    write: (id, data) => must(id).write(data),
    resize: (id, cols, rows) => must(id).resize(cols, rows),

    async stop(id) {
      const session = must(id);
      await session.stop('stopped');
      return session.view();
    },

    async start(id, owner) {
      const session = must(id);
      if (session.live || starting.has(id)) throw conflict('session is already running');
      starting.add(id);
      const release = reserve(owner?.integrationId ? owner : undefined);
      try {
        const r = session.record;
        const dir = await stat(r.cwd).catch(() => null);
        if (!dir?.isDirectory()) throw conflict(`cwd ${r.cwd} no longer exists`);
        const launch = await providers.resolveLaunch(r.provider_id, {
          args: r.args,
          env: r.env ?? {},
          ...(r.model !== undefined ? { model: r.model } : {}),
          agentSessionId: r.agent_session_id ?? randomUUID(),
          resume: true,
          ...(r.agent_session_confirmed ? { agentSessionConfirmed: true } : {}),
        });
        const ring = await session.ringOf();
        const prepared = await prepare(session, launch, true);
        if (sessions.get(id) !== session) throw notFound('session');
        spawn(session, prepared, ring);
        await persistence.saveRecord(session);
        return session.view();
      } finally {
        starting.delete(id);
        release();
      }
    },

    async delete(id) {
      const session = sessions.get(id);
      if (!session) return false;
      await session.stop('stopped');
      if (sessions.get(id) !== session) return false;
      sessions.delete(id);
      session.dispose();
      await persistence.settle(id);
      persistence.forget(id);
      await ctx.stores.sessions.delete(id);
      await extensions.forget?.(id);
      return true;
    },

    async buffer(id, since) {
      return (await must(id).ringOf()).read(since);
    },

    history(id, limit = 200) {
      const all = must(id).history;
      return all.slice(Math.max(0, all.length - limit));
    },

    async screen(id) {
      const session = must(id);
      return session.screen.snapshot(await session.ringOf());
    },

    async screenAnsi(id) {
      const session = must(id);
      return session.screen.ansi(await session.ringOf());
    },

    onData: (id, listener) => must(id).subscribe({ data: listener }),

    async attach(id, listener, since) {
      const session = must(id);
      const loaded = await session.ringOf();
      // From here on synchronous: no PTY chunk can fall between the backlog and the listener.
      const ring = session.ringIfLoaded() ?? loaded;
      const backlog = ring.read(since);
      const read = (from: number): BufferSlice => (session.ringIfLoaded() ?? ring).read(from);
      if (session.live) {
        // A stream client is a viewer (counted for terminal replies, SPEC §17).
        const detach = session.subscribe({
          viewer: true,
          data: (chunk, offset) => listener.data(chunk, offset),
          resize: (cols, rows) => listener.resize?.(cols, rows),
          ended: (info) => listener.ended?.(info),
        });
        return { session: session.view(), backlog, read, detach };
      }
      return { session: session.view(), backlog, ended: endInfoOf(session.record), read, detach: () => {} };
    },

    async load() {
      for (const record of await ctx.stores.sessions.list()) {
        const session = new LiveSession(record, deps);
        sessions.set(record.id, session);
        if (LIVE_STATES.has(record.state)) {
          // It was running when the gateway went down without a clean stop (SPEC §5.3).
          const { pid: _p, idle_since: _i, ...rest } = record;
          const ended_at = rest.ended_at ?? isoTime(ctx.clock.now());
          // The agent did not outlive its process (SPEC §17).
          const agent = rest.agent ? { kind: rest.agent.kind, state: 'exited' as const, since: ended_at, source: 'process' as const, ...(rest.agent.turn ? { turn: rest.agent.turn } : {}) } : rest.agent;
          session.record = { ...rest, state: 'interrupted', ended_at, ...(agent ? { agent } : {}) };
          await persistence.saveRecord(session);
        }
      }
      persistence.startPeriodic(() => sessions.values());
    },

    async shutdown() {
      persistence.stopPeriodic();
      await Promise.all([...sessions.values()].map((s) => s.stop('interrupted')));
      await persistence.settle();
      for (const s of sessions.values()) s.dispose();
    },

    async stopAllOf(integrationId) {
      const mine = [...sessions.values()].filter((s) => s.live && s.record.integration_id === integrationId);
      await Promise.all(mine.map((s) => s.stop('stopped')));
    },
  };
  return manager;
}

/** The end of a session that is no longer running, from its record. */
function endInfoOf(record: SessionRecord): EndInfo {
  const state = record.state === 'stopped' || record.state === 'interrupted' ? record.state : 'ended';
  return { exit_code: record.exit_code ?? null, ...(record.signal ? { signal: record.signal } : {}), state, cursor: record.bytes_out };
}

/** The gateway's environment as strings (node-pty wants no undefined values). */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}
