import { randomUUID } from 'node:crypto';
import type { Session } from '@opendray/sdk/wire';
import { isoTime } from '../clock.js';
import type { GatewayContext } from '../context.js';
import { GatewayError, badRequest, conflict, notFound } from '../errors.js';
import type { SpawnProfile } from '../integrations/profile.js';
import { spawnFailure } from '../pty/spawn-failure.js';
import type { PtyProcess } from '../pty/types.js';
import { newId } from '../security.js';
import type { SessionRecord } from '../stores/types.js';
import type { FlowHandle } from './driver-lease.js';
import { parseInput, submits, submittedMessage, type SessionInput } from './input.js';
import { createOutputLog, type OutputLog } from './output-log.js';
import { SessionPersistence } from './persistence.js';
import { recoverOutput, restoredRecord } from './restore.js';
import { shutdownSessions } from './shutdown.js';
import type { ProviderRegistry } from './providers/registry.js';
import { RingBuffer, type BufferSlice } from './ring-buffer.js';
import type { SessionObserverFactory } from './observer.js';
import { LiveSession, type EndInfo } from './session.js';
import type { SessionManager, SessionOwner } from './types.js';
import { parseCreate } from './create-params.js';
import { createRenderSchedule } from './screen.js';
import type { SandboxedCommand } from './sandbox/types.js';
import { prepareScratch, type Scratch } from './scratch.js';
import { createSessionSlots } from './slots.js';
import { planSpawn } from './spawn-plan.js';
import { sessionHome } from './sandbox/homes.js';
import type { LaunchSpec } from './providers/launch.js';

export type { Attachment, SessionFilter, SessionManager, SessionOwner } from './types.js';
export type { BufferSlice } from './ring-buffer.js';
export type { EndInfo, SessionListener } from './session.js';

/** The pause between a `text` and its submit key: agent TUIs take a burst ending in Enter for a paste (SPEC §5.6). */
export const SUBMIT_DELAY_MS = 60;

/** The manager plus what only the capability calls. */
export interface SessionManagerInternals extends SessionManager {
  load(): Promise<void>;
  /** Stops every session as `interrupted` and saves everything (gateway shutdown). */
  shutdown(): Promise<void>;
  /** The per-session output files, when `outputDir` is set (retention calls `remove` / `bytesOnDisk`). */
  readonly output: OutputLog | undefined;
  /** Stops the live sessions of an integration (it was deleted). */
  stopAllOf(integrationId: string): Promise<void>;
}

/** What the manager learns about a session's integration at each spawn (SPEC §16); undefined when it is unknown. */
export type IntegrationLookup = (integrationId: string) => Promise<{ profile: SpawnProfile; maxSessions: number | null } | undefined>;

/**
 * What other capabilities add to every session: the integration lookup (SPEC §16),
 * observers of each run, and a last step of the launch (the agent hooks: extra args, env
 * and per-session files, SPEC §17).
 */
export interface SessionExtensions {
  integrationOf?: IntegrationLookup;
  observers?: readonly SessionObserverFactory[];
  prepareLaunch?(input: { session: LiveSession; launch: LaunchSpec; resume: boolean; home: string }): Promise<LaunchSpec>;
  /** A session was deleted: drop what was kept for it. */
  forget?(sessionId: string): Promise<void>;
}

export function createSessionManager(ctx: GatewayContext, providers: ProviderRegistry, extensions: SessionExtensions = {}): SessionManagerInternals {
  const integrationOf: IntegrationLookup = extensions.integrationOf ?? (async () => undefined);
  const sessions = new Map<string, LiveSession>();
  const slots = createSessionSlots(sessions, () => ctx.options.maxLiveSessions);
  const starting = new Set<string>();
  /** Sessions whose store delete is under way: no write may bring them back. */
  const deleting = new Set<string>();
  const { outputDir, bufferBytes } = ctx.options;
  const output = outputDir ? createOutputLog({ dir: outputDir, segmentBytes: bufferBytes, logger: ctx.logger }) : undefined;
  const persistence = new SessionPersistence(
    ctx.stores.sessions,
    ctx.logger,
    (s) => sessions.get(s.id) === s && !deleting.has(s.id),
    output,
    bufferBytes,
  );
  const deps = {
    ctx,
    // An end is saved with its tail (SPEC §5.3: the tail stays readable after a restart).
    persist: (s: LiveSession) => (s.live ? persistence.saveRecord(s) : persistence.saveTail(s)),
    loadTail: (id: string) => persistence.loadTail(id),
    ...(output
      ? { output: { record: (s: LiveSession, chunk: Buffer, offset: number) => persistence.recordOutput(s, chunk, offset), flush: (s: LiveSession) => persistence.flushOutput(s) } }
      : {}),
    observers: extensions.observers ?? [],
  };
  // The hooks are written for the HOME the session will run with (an integration's own, SPEC §15).
  const prepare = async (session: LiveSession, launch: LaunchSpec, resume: boolean): Promise<LaunchSpec> =>
    extensions.prepareLaunch
      ? extensions.prepareLaunch({ session, launch, resume, home: await sessionHome(ctx.dataDir, session.record.integration_id) })
      : launch;

  const scheduleRender = createRenderSchedule(ctx.options.limits.screenRenders);

  const must = (id: string): LiveSession => {
    const s = sessions.get(id);
    if (!s) throw notFound('session');
    return s;
  };

  /**
   * Writes the launch's files (an integration's MCP config…) into a scratch directory and
   * plans the process (SPEC §15: the sandbox binds that directory read-only). The scratch
   * is removed again when planning fails.
   */
  const prepareSpawn = async (record: SessionRecord, launch: LaunchSpec, restart: boolean): Promise<{ plan: SandboxedCommand; scratch: Scratch }> => {
    const scratch = await prepareScratch(record.id, launch);
    try {
      return { plan: await planSpawn(ctx, record, scratch.spec, restart, scratch.dir), scratch };
    } catch (err) {
      await scratch.remove();
      throw err;
    }
  };

  /** Spawns a prepared launch; its scratch directory goes when the process ends (or the spawn fails). */
  const spawn = (session: LiveSession, prepared: { plan: SandboxedCommand; scratch: Scratch }, submitKey: string, ring: RingBuffer, restarted = false): void => {
    const { plan, scratch } = prepared;
    const { cols, rows } = session.record;
    let pty: PtyProcess;
    try {
      if (sessions.get(session.id) !== session) throw notFound('session'); // deleted meanwhile
      try {
        pty = ctx.pty.spawn(plan.command, plan.args, { name: 'xterm-256color', cols, rows, cwd: plan.cwd, env: plan.env, encoding: null });
      } catch (err) {
        throw spawnFailure(plan.command, err);
      }
    } catch (err) {
      void scratch.remove();
      throw err;
    }
    session.attach(pty, submitKey, ring, restarted, ctx.sandbox.signal?.bind(ctx.sandbox));
    if (scratch.dir) {
      const off = session.subscribe({ data: () => undefined, ended: () => (off(), void scratch.remove()) });
    }
  };

  const manager: SessionManagerInternals = {
    async create(request, owner) {
      // The integration's spawn profile: its default provider and model, and what its agents get (SPEC §16).
      const profile = owner?.integrationId ? (await integrationOf(owner.integrationId))?.profile : undefined;
      const params = await parseCreate(request, ctx.options, profile?.default_provider_id);
      const manifest = providers.get(params.provider_id);
      if (!manifest) {
        const why = !request.provider_id && profile?.default_provider_id ? " (the integration's default_provider_id)" : '';
        throw badRequest(`provider_id: unknown provider ${JSON.stringify(params.provider_id)}${why}`);
      }
      // default_model is for default_provider_id only, and only if it takes a model: another
      // CLI never gets a model name it does not know (v2).
      const takesModel = Boolean(manifest.config_flags?.model ?? manifest.config_env?.model);
      const model = params.model ?? (takesModel && params.provider_id === profile?.default_provider_id ? profile.default_model : undefined);
      const release = slots.reserve(owner);
      try {
        const agentSessionId = randomUUID();
        const launch = await providers.resolveLaunch(
          params.provider_id,
          { args: params.args, env: params.env, ...(model !== undefined ? { model } : {}), agentSessionId, resume: false, ...(profile ? { profile } : {}) },
          owner?.integrationId,
        );
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
          ...(params.private ? { private: true } : {}),
          created_at: now,
          started_at: now,
          bytes_out: 0,
          env: params.env,
          ...(model !== undefined ? { model } : {}),
          agent_session_id: agentSessionId,
          history: [],
        };
        const session = new LiveSession(record, deps);
        const prepared = await prepareSpawn(record, await prepare(session, launch, false), false);
        // Stored before anything runs or is published: a failed write (503) leaves nothing behind.
        try {
          await ctx.stores.sessions.put(session.toRecord());
        } catch (err) {
          await prepared.scratch.remove();
          throw err;
        }
        sessions.set(id, session);
        try {
          spawn(session, prepared, launch.submitKey, new RingBuffer(ctx.options.bufferBytes));
        } catch (err) {
          sessions.delete(id);
          await ctx.stores.sessions.delete(id).catch((e: unknown) => ctx.logger.error('could not drop a session that failed to start', { session_id: id, error: e }));
          throw err;
        }
        session.persistQuietly(); // its pid; a restart finds it interrupted either way
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
      if (input.kind === 'none') return; // `{}`: a no-op, as in v2 (SPEC §16)
      const message = submittedMessage(input);
      // The history entry is stored before anything is typed: a failed write (503) types nothing.
      if (message !== undefined) await session.addHistory(message);
      await session.enqueueInput(async () => {
        if (input.kind === 'data') session.write(input.data);
        else if (input.kind === 'keys') session.write(input.bytes);
        else {
          session.write(input.text);
          await new Promise((r) => setTimeout(r, SUBMIT_DELAY_MS));
          session.write(session.submitKey);
        }
      });
      if (input.kind === 'text' || submits(input.kind === 'data' ? input.data : input.bytes)) session.noteSubmitted();
    },

    write(id, data) {
      const session = must(id);
      session.write(data);
      if (submits(data)) session.noteSubmitted();
    },
    resize: (id, cols, rows) => must(id).resize(cols, rows),

    async stop(id) {
      const session = must(id);
      const wasLive = session.live;
      await session.stop('stopped');
      // Answered once the stopped state is stored (a restart must not say interrupted).
      if (wasLive) {
        await persistence.saveRecord(session).catch((err: unknown) => {
          throw new GatewayError('unavailable', `the session was stopped, but its state could not be saved (${err instanceof GatewayError ? err.message : 'storage unavailable'})`, { cause: err });
        });
      }
      return session.view();
    },

    async start(id) {
      const session = must(id);
      if (session.live || starting.has(id)) throw conflict('session is already running');
      starting.add(id);
      let release = (): void => {};
      try {
        // Counted against the session's own integration, whoever restarts it; its profile is read again (SPEC §16).
        const r = session.record;
        const integration = r.integration_id ? await integrationOf(r.integration_id) : undefined;
        release = slots.reserve(r.integration_id ? { integrationId: r.integration_id, maxSessions: integration?.maxSessions ?? null } : undefined);
        const launch = await providers.resolveLaunch(
          r.provider_id,
          {
            args: r.args,
            env: r.env ?? {},
            ...(r.model !== undefined ? { model: r.model } : {}),
            agentSessionId: r.agent_session_id ?? randomUUID(),
            resume: true,
            ...(integration ? { profile: integration.profile } : {}),
            ...(r.agent_session_confirmed ? { agentSessionConfirmed: true } : {}),
          },
          r.integration_id,
        );
        // The cwd is resolved and checked again: a symlink swapped since the create must not lead out of the roots.
        const prepared = await prepareSpawn(r, await prepare(session, launch, true), true);
        let ring: RingBuffer;
        try {
          ring = await session.ringOf();
        } catch (err) {
          await prepared.scratch.remove();
          throw err;
        }
        if (sessions.get(id) !== session) {
          await prepared.scratch.remove();
          throw notFound('session');
        }
        spawn(session, prepared, launch.submitKey, ring, true);
        try {
          await persistence.saveRecord(session);
        } catch (err) {
          await session.stop('stopped');
          throw err;
        }
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
      if (sessions.get(id) !== session || deleting.has(id)) return false;
      deleting.add(id);
      let files: { undo(): Promise<void>; finish(): Promise<void> } | undefined;
      try {
        await persistence.settle(id);
        files = await output?.retire(id);
        await ctx.stores.sessions.delete(id);
      } catch (err) {
        // Not deleted: it stays, stopped, with its output, and its record is brought up to date.
        await files?.undo().catch((e: unknown) => ctx.logger.error('could not restore session output files', { session_id: id, error: e }));
        deleting.delete(id);
        session.persistQuietly();
        throw err;
      }
      deleting.delete(id);
      sessions.delete(id);
      session.dispose();
      persistence.forget(id);
      await files?.finish().catch((err: unknown) => ctx.logger.warn('could not remove session output files', { session_id: id, error: err }));
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
      return session.screen.snapshot(await session.ringOf(), scheduleRender);
    },

    async screenAnsi(id) {
      const session = must(id);
      return session.screen.ansi(await session.ringOf(), scheduleRender);
    },

    onData: (id, listener) => must(id).subscribe({ data: listener }),

    async attach(id, listener, since) {
      const session = must(id);
      const loaded = await session.ringOf();
      // From here on synchronous: no PTY chunk can fall between the backlog and the listener.
      const ring = session.ringIfLoaded() ?? loaded;
      const backlog = ring.read(since);
      const read = (from: number): BufferSlice => (session.ringIfLoaded() ?? ring).read(from);
      const oldest = (): number => (session.ringIfLoaded() ?? ring).start;
      const repaint = () => session.screen.repaint(session.ringIfLoaded() ?? ring);
      if (session.live) {
        const unsubscribe = session.subscribe(listener);
        const flow = session.lease.handle(listener);
        const detach = () => {
          unsubscribe();
          flow.release();
        };
        return { session: session.view(), backlog, read, oldest, repaint, flow, detach };
      }
      return { session: session.view(), backlog, ended: endInfoOf(session.record), read, oldest, repaint, flow: NO_FLOW, detach: () => {} };
    },

    output,

    async load() {
      const records = await ctx.stores.sessions.list();
      await recoverOutput(output, records, ctx.logger);
      const saves = await Promise.all(
        records.map(async (stored) => {
          const session = new LiveSession(stored, deps);
          sessions.set(stored.id, session);
          const { record, changed } = await restoredRecord(stored, output, ctx.clock);
          session.record = record;
          return changed ? persistence.saveRecord(session).catch(() => undefined) : undefined;
        }),
      );
      await Promise.all(saves);
      persistence.startPeriodic(() => sessions.values());
    },

    async shutdown() {
      persistence.stopPeriodic();
      await shutdownSessions([...sessions.values()], { persistence, store: ctx.stores.sessions, clock: ctx.clock, logger: ctx.logger, graceMs: ctx.options.stopGraceMs });
      for (const s of sessions.values()) s.dispose();
    },

    async stopAllOf(integrationId) {
      const mine = [...sessions.values()].filter((s) => s.live && s.record.integration_id === integrationId);
      await Promise.all(mine.map((s) => s.stop('stopped')));
    },
  };

  return manager;
}

/** The lease of a session that no longer runs: nothing to pace. */
const NO_FLOW: FlowHandle = { claim: () => false, release() {}, pause() {}, resume() {} };

/** The end of a session that is no longer running, from its record. */
function endInfoOf(record: SessionRecord): EndInfo {
  const state = record.state === 'stopped' || record.state === 'interrupted' ? record.state : 'ended';
  return { exit_code: record.exit_code ?? null, ...(record.signal ? { signal: record.signal } : {}), state, cursor: record.bytes_out };
}
