import type { JSX } from 'preact';
import { Observable, useObservable } from '../state/observable.js';

interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'bad';
}

const toasts = new Observable<Toast[]>([]);
let next = 1;

/** A short message in the corner, read out by screen readers (aria-live). */
export function toast(text: string, tone: 'ok' | 'bad' = 'ok'): void {
  const id = next++;
  toasts.set([...toasts.get(), { id, text, tone }].slice(-4));
  setTimeout(() => toasts.set(toasts.get().filter((t) => t.id !== id)), 4000);
}

export function Toasts(): JSX.Element {
  const list = useObservable(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
