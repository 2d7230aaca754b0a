import { OpendrayClient, type LoginResponse } from '@opendray/sdk';
import { Observable } from './observable.js';

/**
 * The admin sign-in (docs/console.md). The token lives in this tab's sessionStorage (it
 * survives a reload, not the tab) and in memory; never in a URL, never in a cookie.
 * WebSockets get a single-use ticket per connection instead (`socketAuth: 'ticket'`).
 */
export type AuthState =
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; username: string; expiresAt: string };

const STORAGE_KEY = 'opendray.console.auth';

/** The one client of the page: same origin, tickets for sockets. */
export const client = new OpendrayClient({ baseUrl: location.origin, socketAuth: 'ticket', timeoutMs: 30_000 });

export const auth = new Observable<AuthState>(restore());

// Any call refused with 401 (expired, revoked in another tab, gateway data reset): back to the login.
client.setUnauthorizedHandler(async () => {
  end('Your sign-in ended. Please sign in again.');
  return null;
});

function restore(): AuthState {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as LoginResponse | null;
    if (saved && typeof saved.token === 'string' && Date.parse(saved.expires_at) > Date.now()) {
      client.setToken(saved.token);
      return { kind: 'signed-in', username: saved.username, expiresAt: saved.expires_at };
    }
  } catch {
    // unreadable storage: start signed out
  }
  sessionStorage.removeItem(STORAGE_KEY);
  return { kind: 'signed-out' };
}

/** Signs in; throws the gateway's error (401 invalid credentials, 429 too many attempts). */
export async function signIn(username: string, password: string): Promise<void> {
  const res = await client.login(username, password);
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(res));
  auth.set({ kind: 'signed-in', username: res.username, expiresAt: res.expires_at });
}

/** Revokes the token on the gateway (which closes every socket it opened), then forgets it. */
export async function signOut(): Promise<void> {
  try {
    await client.logout();
  } finally {
    end();
  }
}

function end(notice?: string): void {
  sessionStorage.removeItem(STORAGE_KEY);
  client.setToken(undefined);
  if (auth.get().kind === 'signed-in') auth.set({ kind: 'signed-out', ...(notice ? { notice } : {}) });
}
