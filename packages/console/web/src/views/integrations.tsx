import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { HealthStatus, Integration, IntegrationWithKey } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { forgetIntegration, live, putIntegration } from '../state/live.js';
import { useObservable } from '../state/observable.js';
import { formatAge, formatTime } from '../format.js';
import { Badge, Button, ConfirmDialog, Empty, PageHead, messageOf, type Tone } from '../ui/kit.js';
import { toast } from '../ui/toast.js';
import { EditDialog, KeyDialog, RegisterDialog, RotateDialog } from './integration-dialogs.js';
import { useNow } from './sessions.js';

const HEALTH_TONE: Record<HealthStatus, Tone> = { healthy: 'ok', degraded: 'warn', unhealthy: 'bad', unknown: 'muted' };

type Modal =
  | { kind: 'register' }
  | { kind: 'key'; result: IntegrationWithKey; rotated: boolean }
  | { kind: 'rotate'; integration: Integration }
  | { kind: 'edit'; integration: Integration }
  | { kind: 'delete'; integration: Integration }
  | null;

/** Registered integrations with their health, kept current by `integration.*` events. */
export function IntegrationsView(): JSX.Element {
  const { integrations, loaded } = useObservable(live);
  const [modal, setModal] = useState<Modal>(null);
  const now = useNow(10_000);
  const list = [...integrations.values()].sort((a, b) => a.name.localeCompare(b.name));

  const setEnabled = async (i: Integration, enabled: boolean): Promise<void> => {
    try {
      putIntegration(await client.updateIntegration(i.id, { enabled }));
      toast(`${i.name} ${enabled ? 'enabled' : 'disabled'}`);
    } catch (err) {
      toast(messageOf(err), 'bad');
    }
  };

  return (
    <section>
      <PageHead title="Integrations" subtitle={loaded ? `${list.length} registered · ${list.filter((i) => i.enabled).length} enabled` : 'Loading…'}>
        <Button variant="primary" icon="plus" onClick={() => setModal({ kind: 'register' })}>Register</Button>
      </PageHead>
      {loaded && list.length === 0 ? (
        <Empty title="No integrations yet">
          <p>Register a bot, a dashboard or a CI job to give it an API key.</p>
          <Button variant="primary" icon="plus" onClick={() => setModal({ kind: 'register' })}>Register an integration</Button>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="table table-cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Health</th>
                <th scope="col">Scopes</th>
                <th scope="col">Enabled</th>
                <th scope="col">Key</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr key={i.id} class={i.enabled ? '' : 'row-dim'}>
                  <td data-label="Name">
                    <span class="row-title">{i.name}</span>
                    <span class="mono muted small">{i.route_prefix ? `/proxy/${i.route_prefix} → ${i.base_url}` : 'consumer'} · {i.id}</span>
                  </td>
                  <td data-label="Health">
                    {i.base_url ? (
                      <span class="stack">
                        <Badge tone={HEALTH_TONE[i.health_status] ?? 'muted'}>{i.health_status}</Badge>
                        <span class="muted small" title={formatTime(i.health_last_seen)}>
                          {i.health_last_seen ? `seen ${formatAge(i.health_last_seen, now)} ago` : 'never seen'}
                        </span>
                      </span>
                    ) : (
                      <span class="muted small">consumer, not probed</span>
                    )}
                  </td>
                  <td data-label="Scopes">
                    <span class="chips">
                      {i.scopes.map((s) => <span key={s} class="chip mono">{s}</span>)}
                    </span>
                  </td>
                  <td data-label="Enabled">
                    <label class="switch">
                      <input type="checkbox" role="switch" checked={i.enabled} onChange={(e) => setEnabled(i, e.currentTarget.checked)} aria-label={`${i.name} enabled`} />
                      <span class="switch-track" aria-hidden="true" />
                    </label>
                  </td>
                  <td data-label="Key" class="small muted">{i.rotated_at ? `rotated ${formatAge(i.rotated_at, now)} ago` : `since ${formatAge(i.created_at, now)}`}</td>
                  <td class="actions">
                    <Button icon="edit" variant="ghost" onClick={() => setModal({ kind: 'edit', integration: i })} aria-label={`Edit ${i.name}`} title="Edit" />
                    <Button icon="key" variant="ghost" onClick={() => setModal({ kind: 'rotate', integration: i })} aria-label={`Rotate the key of ${i.name}`} title="Rotate key" />
                    <Button icon="trash" variant="ghost" class="danger-text" onClick={() => setModal({ kind: 'delete', integration: i })} aria-label={`Delete ${i.name}`} title="Delete" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {modal?.kind === 'register' ? <RegisterDialog onClose={() => setModal(null)} onKey={(result) => setModal({ kind: 'key', result, rotated: false })} /> : null}
      {modal?.kind === 'key' ? <KeyDialog result={modal.result} rotated={modal.rotated} onClose={() => setModal(null)} /> : null}
      {modal?.kind === 'rotate' ? <RotateDialog integration={modal.integration} onClose={() => setModal(null)} onKey={(result) => setModal({ kind: 'key', result, rotated: true })} /> : null}
      {modal?.kind === 'edit' ? <EditDialog integration={modal.integration} onClose={() => setModal(null)} /> : null}
      {modal?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${modal.integration.name}?`}
          confirmLabel="Delete integration"
          onClose={() => setModal(null)}
          onConfirm={async () => {
            await client.deleteIntegration(modal.integration.id);
            forgetIntegration(modal.integration.id);
            toast(`${modal.integration.name} deleted`);
          }}
        >
          <p>Its key stops working at once, its open sockets close and its sessions are stopped. Its call-log entries are kept.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
