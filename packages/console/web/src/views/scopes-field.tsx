import type { JSX } from 'preact';
import { FIXED_SCOPES, type Scope } from '@opendray/sdk';

const DESCRIBE: Record<string, string> = {
  'session:read': 'list and watch sessions',
  'session:create': 'create, stop, start, delete',
  'session:input': 'type and resize',
  'provider:read': 'list providers',
  'provider:write': 'change provider config',
  'channel:send': 'send channel messages',
  'channel:receive': 'receive channel messages',
};

/** Scopes as the operator edits them: the fixed ones as checkboxes, event topics as text. */
export interface ScopeDraft {
  fixed: Set<string>;
  /** Comma-separated topic patterns, e.g. `session.*, integration.*`. */
  topics: string;
  /** Scopes this form does not know (v2 aliases, memory:*): kept as they are. */
  other: string[];
}

export function draftOf(scopes: readonly string[]): ScopeDraft {
  const fixed = new Set<string>();
  const topics: string[] = [];
  const other: string[] = [];
  for (const s of scopes) {
    if ((FIXED_SCOPES as readonly string[]).includes(s)) fixed.add(s);
    else if (s.startsWith('event:subscribe:')) topics.push(s.slice('event:subscribe:'.length));
    else other.push(s);
  }
  return { fixed, topics: topics.join(', '), other };
}

export function scopesOf(draft: ScopeDraft): Scope[] {
  const topics = draft.topics.split(',').map((t) => t.trim()).filter(Boolean).map((t) => `event:subscribe:${t}` as Scope);
  return [...(FIXED_SCOPES.filter((s) => draft.fixed.has(s)) as Scope[]), ...topics, ...(draft.other as Scope[])];
}

export function ScopesField({ draft, onChange, idPrefix }: { draft: ScopeDraft; onChange: (d: ScopeDraft) => void; idPrefix: string }): JSX.Element {
  const toggle = (scope: string, on: boolean): void => {
    const fixed = new Set(draft.fixed);
    if (on) fixed.add(scope);
    else fixed.delete(scope);
    onChange({ ...draft, fixed });
  };
  return (
    <fieldset class="scopes">
      <legend>Scopes</legend>
      <div class="scope-grid">
        {FIXED_SCOPES.map((scope) => (
          <label key={scope} class="check">
            <input type="checkbox" checked={draft.fixed.has(scope)} onChange={(e) => toggle(scope, e.currentTarget.checked)} />
            <span class="mono">{scope}</span>
            <span class="muted small">{DESCRIBE[scope]}</span>
          </label>
        ))}
      </div>
      <div class="field">
        <label for={`${idPrefix}-topics`}>Event topics it may subscribe to</label>
        <input id={`${idPrefix}-topics`} class="mono" value={draft.topics} placeholder="session.*, integration.*" onInput={(e) => onChange({ ...draft, topics: e.currentTarget.value })} spellcheck={false} />
        <p class="hint">Comma-separated; a trailing <code>.*</code> is a wildcard. Each becomes <code>event:subscribe:&lt;topic&gt;</code>.</p>
      </div>
      {draft.other.length ? <p class="hint">Also kept: <span class="mono">{draft.other.join(', ')}</span></p> : null}
    </fieldset>
  );
}
