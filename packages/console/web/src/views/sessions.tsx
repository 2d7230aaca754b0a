import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { live } from '../state/live.js';
import { useObservable } from '../state/observable.js';
import { hrefOf } from '../state/router.js';
import { formatAge, formatBytes, shortPath } from '../format.js';
import { Button, Empty, PageHead } from '../ui/kit.js';
import { AgentBadge, StateBadge, isLive, ownerOf } from './session-badges.js';
import { NewSessionDialog } from './new-session.js';

/** Every session, kept current by the events WebSocket. */
export function SessionsView(): JSX.Element {
  const { sessions, integrations, loaded } = useObservable(live);
  const [creating, setCreating] = useState(false);
  const now = useNow(5000);
  const list = [...sessions.values()].sort((a, b) => Number(isLive(b)) - Number(isLive(a)) || b.created_at.localeCompare(a.created_at));
  const running = list.filter(isLive).length;

  return (
    <section aria-labelledby="sessions-title">
      <PageHead title="Sessions" subtitle={loaded ? `${running} live · ${list.length} total` : 'Loading…'}>
        <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>New session</Button>
      </PageHead>
      <h2 id="sessions-title" class="sr-only">Session list</h2>
      {loaded && list.length === 0 ? (
        <Empty title="No sessions yet">
          <p>Start a shell or an agent; integrations' sessions show up here too.</p>
          <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>New session</Button>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Agent</th>
                <th scope="col">Provider</th>
                <th scope="col">Owner</th>
                <th scope="col">Directory</th>
                <th scope="col" class="num">Age</th>
                <th scope="col" class="num">Output</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id} class={isLive(s) ? '' : 'row-dim'}>
                  <td data-label="Name">
                    <a class="row-link" href={hrefOf({ view: 'session', id: s.id })}>
                      <span class="row-title">{s.name || s.id}</span>
                      <span class="mono muted small">{s.id}</span>
                    </a>
                  </td>
                  <td data-label="State"><StateBadge state={s.state} /></td>
                  <td data-label="Agent"><AgentBadge agent={s.agent} /></td>
                  <td data-label="Provider">{s.provider_id}</td>
                  <td data-label="Owner">{ownerOf(s, integrations)}</td>
                  <td data-label="Directory" class="mono small" title={s.cwd}>{shortPath(s.cwd)}</td>
                  <td data-label="Age" class="num">{formatAge(s.created_at, now)}</td>
                  <td data-label="Output" class="num">{formatBytes(s.bytes_out)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating ? <NewSessionDialog onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

/** The current time, refreshed every `ms` (ages tick without refetching anything). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
