import { isOpendrayError, type EventFrame, type Integration, type Session, type TopicFrame, type TopicName } from '@opendray/sdk';
import type { AgentNotes } from './agent.js';
import { client } from './auth.js';
import { Observable } from './observable.js';

/** Everything the console keeps current from the events WebSocket (no polling). */
export interface LiveData {
  sessions: ReadonlyMap<string, Session>;
  integrations: ReadonlyMap<string, Integration>;
  notes: ReadonlyMap<string, AgentNotes>;
  /** False until the first list arrived. */
  loaded: boolean;
  /** The events socket: connecting, live, or why it is down. */
  link: 'connecting' | 'live' | 'down';
}

// Every session and integration topic except `session.output` (the terminal carries output).
const TOPICS: readonly (TopicName | 'integration.*')[] = [
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
    sessions: new Map(sessions.map((s) => [s.id, s])),
    integrations: new Map(integrations.map((i) => [i.id, i])),
    loaded: true,
  });
}

function apply(frame: EventFrame): void {
  const data: object = frame.data;
  const sessionId = 'session_id' in data && typeof data.session_id === 'string' ? data.session_id : null;
  const integrationId = 'integration_id' in data && typeof data.integration_id === 'string' ? data.integration_id : null;
  if (frame.topic === 'session.turn_completed') noteReply(frame);
  if (frame.topic.startsWith('session.') && sessionId) void refreshSession(sessionId);
  else if (frame.topic.startsWith('integration.') && integrationId) {
    if (frame.topic === 'integration.deregistered') forgetIntegration(integrationId);
    else void refreshIntegration(integrationId);
  }
}

/** Keeps the final reply of a turn (SPEC §17): the one agent fact the session's JSON lacks. */
function noteReply(frame: TopicFrame<'session.turn_completed'>): void {
  const { session_id, turn, text } = frame.data;
  const notes = new Map(live.get().notes);
  notes.set(session_id, { ...notes.get(session_id), lastReply: { text, turn: turn.n, at: frame.ts } });
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
          putSession(await client.getSession(id));
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
export function putSession(session: Session): void {
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
