import { isOpendrayError, type EventFrame, type Integration } from '@opendray/sdk';
import type { AgentNotes, ConsoleSession } from './agent.js';
import { client } from './auth.js';
import { Observable } from './observable.js';

/** Everything the console keeps current from the events WebSocket (no polling). */
export interface LiveData {
  sessions: ReadonlyMap<string, ConsoleSession>;
  integrations: ReadonlyMap<string, Integration>;
  notes: ReadonlyMap<string, AgentNotes>;
  /** False until the first list arrived. */
  loaded: boolean;
  /** The events socket: connecting, live, or why it is down. */
  link: 'connecting' | 'live' | 'down';
}

// Every session and integration topic except `session.output` (the terminal carries output).
const TOPICS = [
  'session.started',
  'session.ended',
  'session.stopped',
  'session.idle',
  'session.active',
  'session.state_changed',
  'session.blocked',
  'session.turn_completed',
  'integration.*',
];

const EMPTY: LiveData = { sessions: new Map(), integrations: new Map(), notes: new Map(), loaded: false, link: 'connecting' };

export const live = new Observable<LiveData>(EMPTY);

let stop: AbortController | null = null;
const refetching = new Map<string, Promise<void>>();
const again = new Set<string>();

/** Starts following the gateway (after sign-in); idempotent. */
export function startLive(): void {
  if (stop) return;
  const controller = new AbortController();
  stop = controller;
  void follow(controller.signal);
}

/** Stops following and forgets everything (sign-out). */
export function stopLive(): void {
  stop?.abort();
  stop = null;
  live.set(EMPTY);
}

const patch = (p: Partial<LiveData>): void => live.set({ ...live.get(), ...p });

async function follow(signal: AbortSignal): Promise<void> {
  const events = client.events({ topics: TOPICS, signal });
  try {
    for await (const frame of events) {
      if (signal.aborted) break;
      // A (re)connection or a gap: what we hold may be stale. Reload the lists once.
      if (frame.topic === '_hello' || frame.topic === '_gap') {
        patch({ link: 'live' });
        await reloadAll();
      } else apply(frame);
    }
  } catch (err) {
    if (!signal.aborted) patch({ link: 'down' });
    if (isOpendrayError(err) && err.status === 401) return; // the auth module already signed out
  }
}

/** Reloads the session and integration lists. */
export async function reloadAll(): Promise<void> {
  const [sessions, integrations] = await Promise.all([client.listSessions(), client.listIntegrations()]);
  patch({
    sessions: new Map(sessions.map((s) => [s.id, s as ConsoleSession])),
    integrations: new Map(integrations.map((i) => [i.id, i])),
    loaded: true,
  });
}

function apply(frame: EventFrame): void {
  const data = frame.data as Record<string, unknown>;
  const sessionId = typeof data.session_id === 'string' ? data.session_id : null;
  const integrationId = typeof data.integration_id === 'string' ? data.integration_id : null;
  if (frame.topic.startsWith('session.') && sessionId) {
    noteAgent({ topic: frame.topic, ts: frame.ts }, sessionId, data);
    void refreshSession(sessionId);
  } else if (frame.topic.startsWith('integration.') && integrationId) {
    if (frame.topic === 'integration.deregistered') forgetIntegration(integrationId);
    else void refreshIntegration(integrationId);
  }
}

/** SPEC §17's agent topics come with issue #14; until the SDK's topic map has them, a topic is a string here. */
function noteAgent(frame: { topic: string; ts: string }, id: string, data: Record<string, unknown>): void {
  const notes = new Map(live.get().notes);
  const current = notes.get(id) ?? {};
  if (frame.topic === 'session.turn_completed' && typeof data.text === 'string') {
    const turn = typeof data.turn === 'number' ? data.turn : (data.turn as { n?: number } | undefined)?.n;
    notes.set(id, { ...current, lastReply: { text: data.text, ...(turn !== undefined ? { turn } : {}), at: frame.ts }, blocked: undefined });
  } else if (frame.topic === 'session.blocked') {
    notes.set(id, { ...current, blocked: { reason: String(data.reason ?? ''), prompt_text: String(data.prompt_text ?? ''), at: frame.ts } });
  } else if (frame.topic === 'session.state_changed' && data.to !== 'blocked' && current.blocked) {
    notes.set(id, { ...current, blocked: undefined });
  } else return;
  patch({ notes });
}

/**
 * Re-reads one session; a 404 forgets it. One read per id at a time: an event that
 * arrives during a read queues one more, so the last read always follows the last event.
 */
export function refreshSession(id: string): Promise<void> {
  const running = refetching.get(id);
  if (running) {
    again.add(id);
    return running;
  }
  const job = (async () => {
    try {
      do {
        again.delete(id);
        try {
          putSession((await client.getSession(id)) as ConsoleSession);
        } catch (err) {
          if (isOpendrayError(err) && err.status === 404) forgetSession(id);
        }
      } while (again.has(id));
    } finally {
      refetching.delete(id);
    }
  })();
  refetching.set(id, job);
  return job;
}

export function forgetSession(id: string): void {
  const sessions = new Map(live.get().sessions);
  if (sessions.delete(id)) patch({ sessions });
}

/** Puts a session the console itself just created or changed. */
export function putSession(session: ConsoleSession): void {
  const sessions = new Map(live.get().sessions);
  sessions.set(session.id, session);
  patch({ sessions });
}

async function refreshIntegration(id: string): Promise<void> {
  try {
    const integration = await client.getIntegration(id);
    putIntegration(integration);
  } catch (err) {
    if (isOpendrayError(err) && err.status === 404) forgetIntegration(id);
  }
}

export function putIntegration(integration: Integration): void {
  const integrations = new Map(live.get().integrations);
  integrations.set(integration.id, integration);
  patch({ integrations });
}

export function forgetIntegration(id: string): void {
  const integrations = new Map(live.get().integrations);
  if (integrations.delete(id)) patch({ integrations });
}
