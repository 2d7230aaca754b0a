import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { auth, signOut } from './state/auth.js';
import { live, startLive, stopLive } from './state/live.js';
import { useObservable } from './state/observable.js';
import { hrefOf, useRoute, type Route } from './state/router.js';
import { cycleTheme, themeChoice } from './state/theme.js';
import { Icon, type IconName } from './ui/icons.js';
import { Toasts, toast } from './ui/toast.js';
import { messageOf } from './ui/kit.js';
import { CallsView } from './views/calls.js';
import { EventsView } from './views/events.js';
import { IntegrationsView } from './views/integrations.js';
import { Login } from './views/login.js';
import { SessionView } from './views/session-view.js';
import { SessionsView } from './views/sessions.js';

export function App(): JSX.Element {
  const state = useObservable(auth);
  useEffect(() => {
    if (state.kind === 'signed-in') startLive();
    else stopLive();
  }, [state.kind]);
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      {state.kind === 'signed-in' ? <Shell username={state.username} /> : <Login notice={state.notice} />}
      <Toasts />
    </>
  );
}

const NAV: Array<{ view: Route['view']; label: string; icon: IconName }> = [
  { view: 'sessions', label: 'Sessions', icon: 'terminal' },
  { view: 'integrations', label: 'Integrations', icon: 'plug' },
  { view: 'calls', label: 'Call log', icon: 'list' },
  { view: 'events', label: 'Events', icon: 'activity' },
];

function Shell({ username }: { username: string }): JSX.Element {
  const route = useRoute();
  const { link } = useObservable(live);
  const choice = useObservable(themeChoice);
  const current = route.view === 'session' ? 'sessions' : route.view;
  // A new view moves focus to it (screen readers announce it); the terminal takes focus itself.
  useEffect(() => {
    if (route.view !== 'session') document.getElementById('main')?.focus({ preventScroll: true });
  }, [route.view]);
  const logout = (): void => {
    signOut().catch((err: unknown) => toast(messageOf(err), 'bad'));
  };
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/sessions" aria-label="opendray console, sessions">
          <span class="brand-mark" aria-hidden="true">›_</span>
          <span class="brand-name">opendray</span>
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map((item) => (
            <a key={item.view} href={hrefOf({ view: item.view } as Route)} class="nav-link" aria-current={current === item.view ? 'page' : undefined}>
              <Icon name={item.icon} />
              <span>{item.label}</span>
            </a>
          ))}
        </nav>
        <div class="topbar-end">
          <span class={`link link-${link}`} title={link === 'live' ? 'Live updates connected' : link === 'down' ? 'Live updates disconnected' : 'Connecting…'}>
            <span class="dot" aria-hidden="true" />
            <span class="link-label">{link === 'live' ? 'Live' : link === 'down' ? 'Offline' : 'Connecting'}</span>
          </span>
          <button type="button" class="icon-btn" onClick={cycleTheme} aria-label={`Theme: ${choice}. Change theme`} title={`Theme: ${choice}`}>
            <Icon name={choice === 'dark' ? 'moon' : choice === 'light' ? 'sun' : 'monitor'} />
          </button>
          <span class="user" title="Signed in as">{username}</span>
          <button type="button" class="btn btn-ghost" onClick={logout} aria-label="Sign out">
            <Icon name="logout" />
            <span class="hide-narrow">Sign out</span>
          </button>
        </div>
      </header>
      <main id="main" class={route.view === 'session' ? 'main main-full' : 'main'} tabIndex={-1}>
        {route.view === 'sessions' && <SessionsView />}
        {route.view === 'session' && <SessionView key={route.id} id={route.id} />}
        {route.view === 'integrations' && <IntegrationsView />}
        {route.view === 'calls' && <CallsView />}
        {route.view === 'events' && <EventsView />}
      </main>
    </div>
  );
}
