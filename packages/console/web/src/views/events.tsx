import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { isTopicPattern, type EventFrame } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { formatClock } from '../format.js';
import { Button, Empty, ErrorText, PageHead } from '../ui/kit.js';

const KEEP = 500;
const DEFAULT_TOPICS = 'session.*, integration.*, channel.*';

/** A live tail of `/integrations/_events` with a topic filter; the newest first, the last 500 kept. */
export function EventsView(): JSX.Element {
  const [draft, setDraft] = useState(DEFAULT_TOPICS);
  const [topics, setTopics] = useState(DEFAULT_TOPICS);
  const [frames, setFrames] = useState<EventFrame[]>([]);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<'connecting' | 'live' | 'closed'>('connecting');
  const pausedRef = useRef(false);
  const held = useRef<EventFrame[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    setStatus('connecting');
    setError(null);
    const list = topics.split(',').map((t) => t.trim()).filter(Boolean);
    void (async () => {
      try {
        const stream = client.events({ topics: list, signal: controller.signal });
        for await (const frame of stream) {
          if (frame.topic === '_hello') {
            setStatus('live');
            continue;
          }
          if (pausedRef.current) held.current = [frame, ...held.current].slice(0, KEEP);
          else setFrames((prev) => [frame, ...prev].slice(0, KEEP));
        }
      } catch (err) {
        if (!controller.signal.aborted) setError(err);
      }
      if (!controller.signal.aborted) setStatus('closed');
    })();
    return () => controller.abort();
  }, [topics]);

  const bad = draft.split(',').map((t) => t.trim()).filter(Boolean).find((t) => !isTopicPattern(t));
  const togglePause = (): void => {
    pausedRef.current = !paused;
    if (paused) {
      setFrames((prev) => [...held.current, ...prev].slice(0, KEEP));
      held.current = [];
    }
    setPaused(!paused);
  };

  return (
    <section>
      <PageHead title="Events" subtitle={status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Disconnected'}>
        <Button icon={paused ? 'play' : 'pause'} onClick={togglePause} aria-pressed={paused}>{paused ? 'Resume' : 'Pause'}</Button>
        <Button icon="trash" variant="ghost" onClick={() => setFrames([])}>Clear</Button>
      </PageHead>
      <form
        class="filters filters-inline"
        aria-label="Topic filter"
        onSubmit={(e) => {
          e.preventDefault();
          if (!bad) setTopics(draft);
        }}
      >
        <div class="field field-grow">
          <label for="events-topics">Topics</label>
          <input id="events-topics" class="mono" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} spellcheck={false} aria-invalid={bad ? 'true' : undefined} aria-describedby="events-topics-hint" />
          <p id="events-topics-hint" class="hint">{bad ? `“${bad}” is not a topic or pattern.` : 'Comma-separated; session.* matches every session topic; * is everything (including session.output).'}</p>
        </div>
        <div class="filters-actions">
          <Button type="submit" variant="primary" disabled={Boolean(bad)}>Apply</Button>
        </div>
      </form>
      <ErrorText error={error} />
      {frames.length === 0 ? (
        <Empty title="Waiting for events">Start a session or register an integration to see events here.</Empty>
      ) : (
        <ol class="event-list" aria-live="off">
          {frames.map((f) => (
            <li key={`${f.seq ?? f.ts}-${f.topic}`} class="event">
              <span class="event-time mono small">{formatClock(f.ts)}</span>
              <span class={`event-topic mono topic-${f.topic.split('.')[0]}`}>{f.topic}</span>
              <span class="event-seq mono small muted">{f.seq !== undefined ? `#${f.seq}` : ''}</span>
              <code class="event-data">{JSON.stringify(f.data)}</code>
            </li>
          ))}
        </ol>
      )}
      {paused && held.current.length ? <p class="muted small">{held.current.length} events held while paused</p> : null}
    </section>
  );
}
