import { useEffect, useState } from 'preact/hooks';

/** Where the console is: the part of the URL after `#`, which never reaches the server. */
export type Route =
  | { view: 'sessions' }
  | { view: 'session'; id: string }
  | { view: 'integrations' }
  | { view: 'calls' }
  | { view: 'events' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'sessions' && parts[1]) return { view: 'session', id: parts[1] };
  if (parts[0] === 'integrations') return { view: 'integrations' };
  if (parts[0] === 'calls') return { view: 'calls' };
  if (parts[0] === 'events') return { view: 'events' };
  return { view: 'sessions' };
}

export function hrefOf(route: Route): string {
  return route.view === 'session' ? `#/sessions/${encodeURIComponent(route.id)}` : `#/${route.view}`;
}

export function navigate(route: Route): void {
  location.hash = hrefOf(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
