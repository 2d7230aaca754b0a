import { useEffect, useState } from 'preact/hooks';

/** A value that tells its subscribers when it changed. */
export class Observable<T> {
  private readonly listeners = new Set<(value: T) => void>();
  constructor(private current: T) {}

  get(): T {
    return this.current;
  }

  set(next: T): void {
    this.current = next;
    for (const fn of [...this.listeners]) fn(next);
  }

  subscribe(fn: (value: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The observable's value, re-rendering the component whenever it changes. */
export function useObservable<T>(source: Observable<T>): T {
  const [value, setValue] = useState(source.get());
  useEffect(() => {
    setValue(source.get());
    return source.subscribe(setValue);
  }, [source]);
  return value;
}
