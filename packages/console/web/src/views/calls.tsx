import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CallDirection, CallEntry, CallQuery } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { live } from '../state/live.js';
import { useObservable } from '../state/observable.js';
import { formatBytes, formatTime } from '../format.js';
import { Badge, Button, Empty, ErrorText, PageHead, type Tone } from '../ui/kit.js';

interface Filters {
  integration_id: string;
  direction: '' | CallDirection;
  status_class: string;
  since: string;
  until: string;
}

const NO_FILTERS: Filters = { integration_id: '', direction: '', status_class: '', since: '', until: '' };
const PAGE = 100;

/** `datetime-local` value (local time) → RFC 3339 UTC, as `_calls` wants. */
const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

function queryOf(f: Filters): CallQuery {
  return {
    limit: PAGE,
    ...(f.integration_id ? { integration_id: f.integration_id } : {}),
    ...(f.direction ? { direction: f.direction } : {}),
    ...(f.status_class ? { status_class: Number(f.status_class) as CallQuery['status_class'] } : {}),
    ...(f.since ? { since: toIso(f.since) } : {}),
    ...(f.until ? { until: toIso(f.until) } : {}),
  };
}

const statusTone = (code: number): Tone => (code >= 500 ? 'bad' : code >= 400 ? 'warn' : code >= 300 ? 'info' : 'ok');

/** The call log (SPEC §10): the filters of `GET /integrations/_calls`, newest first, a page at a time. */
export function CallsView(): JSX.Element {
  const { integrations } = useObservable(live);
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [entries, setEntries] = useState<CallEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = async (filters: Filters, after: string | null): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const page = await client.listCalls({ ...queryOf(filters), ...(after ? { cursor: after } : {}) });
      setEntries((prev) => (after ? [...prev, ...page.entries] : page.entries));
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load(applied, null);
  }, [applied]);

  const set = (k: keyof Filters) => (e: Event): void => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const nameOf = (id: string | undefined): string => (id ? (integrations.get(id)?.name ?? id) : '—');

  return (
    <section>
      <PageHead title="Call log" subtitle="Every call made with an integration key, every proxied call, every refused credential." />
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...draft });
        }}
        aria-label="Filter calls"
      >
        <div class="field">
          <label for="calls-integration">Integration</label>
          <select id="calls-integration" value={draft.integration_id} onChange={set('integration_id')}>
            <option value="">Any</option>
            {[...integrations.values()].map((i) => <option key={i.id} value={i.id}>{i.name}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="calls-direction">Direction</label>
          <select id="calls-direction" value={draft.direction} onChange={set('direction')}>
            <option value="">Any</option>
            <option value="inbound">Inbound</option>
            <option value="outbound">Outbound (proxy)</option>
            <option value="rejected">Rejected credential</option>
          </select>
        </div>
        <div class="field">
          <label for="calls-status">Status</label>
          <select id="calls-status" value={draft.status_class} onChange={set('status_class')}>
            <option value="">Any</option>
            {[1, 2, 3, 4, 5].map((c) => <option key={c} value={String(c)}>{c}xx</option>)}
          </select>
        </div>
        <div class="field">
          <label for="calls-since">From</label>
          <input id="calls-since" type="datetime-local" step={1} value={draft.since} onInput={set('since')} />
        </div>
        <div class="field">
          <label for="calls-until">To</label>
          <input id="calls-until" type="datetime-local" step={1} value={draft.until} onInput={set('until')} />
        </div>
        <div class="filters-actions">
          <Button type="submit" variant="primary">Apply</Button>
          <Button
            variant="ghost"
            onClick={() => {
              setDraft(NO_FILTERS);
              setApplied(NO_FILTERS);
            }}
          >
            Reset
          </Button>
        </div>
      </form>
      <ErrorText error={error} />
      {entries.length === 0 && !busy ? (
        <Empty title="No calls match">Calls appear here once an integration uses its key.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table table-cards table-dense">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Integration</th>
                <th scope="col">Direction</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Duration</th>
                <th scope="col" class="num">In / out</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((c) => (
                <tr key={c.id}>
                  <td data-label="Time" class="small nowrap">{formatTime(c.ts)}</td>
                  <td data-label="Integration">{nameOf(c.integration_id)}</td>
                  <td data-label="Direction"><span class={`dir dir-${c.direction}`}>{c.direction}</span></td>
                  <td data-label="Request" class="mono small" title={`${c.path} · ${c.request_id}`}>
                    <strong>{c.method}</strong> {c.route}
                  </td>
                  <td data-label="Status"><Badge tone={statusTone(c.status_code)}>{c.status_code}</Badge></td>
                  <td data-label="Duration" class="num small">{c.duration_ms.toFixed(c.duration_ms < 10 ? 1 : 0)} ms</td>
                  <td data-label="In / out" class="num small nowrap">{formatBytes(c.bytes_in)} / {formatBytes(c.bytes_out)}</td>
                  <td data-label="From" class="mono small">{c.remote_addr}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        <span class="muted small">{entries.length} shown</span>
        {cursor ? <Button onClick={() => load(applied, cursor)} busy={busy}>Load older</Button> : null}
      </div>
    </section>
  );
}
