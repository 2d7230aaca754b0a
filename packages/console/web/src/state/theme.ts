import { Observable } from './observable.js';

/** The colour scheme: the system's, or one the operator picked (kept in localStorage; not a secret). */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'opendray.console.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

const saved = localStorage.getItem(KEY);
export const themeChoice = new Observable<ThemeChoice>(saved === 'light' || saved === 'dark' ? saved : 'system');
export const theme = new Observable<Theme>(resolve());

function resolve(): Theme {
  const choice = themeChoice.get();
  return choice === 'system' ? (media.matches ? 'dark' : 'light') : choice;
}

function applyTheme(): void {
  const next = resolve();
  document.documentElement.dataset.theme = next;
  if (theme.get() !== next) theme.set(next);
}

export function cycleTheme(): void {
  const order: ThemeChoice[] = ['system', 'dark', 'light'];
  const next = order[(order.indexOf(themeChoice.get()) + 1) % order.length]!;
  if (next === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, next);
  themeChoice.set(next);
  applyTheme();
}

media.addEventListener('change', applyTheme);
applyTheme();
