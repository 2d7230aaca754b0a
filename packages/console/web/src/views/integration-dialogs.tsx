import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Integration, IntegrationWithKey, UpdateIntegrationRequest } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { putIntegration } from '../state/live.js';
import { useFormAction } from '../ui/form-action.js';
import { Button, Dialog, ErrorText, SecretField } from '../ui/kit.js';
import { ScopesField, draftOf, scopesOf } from './scopes-field.js';

const DEFAULT_SCOPES = ['session:read', 'event:subscribe:session.*'];

/** Registers an integration; hands the one-time key to `onKey`. */
export function RegisterDialog({ onClose, onKey }: { onClose: () => void; onKey: (k: IntegrationWithKey) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'consumer' | 'service'>('consumer');
  const [baseUrl, setBaseUrl] = useState('');
  const [prefix, setPrefix] = useState('');
  const [maxSessions, setMaxSessions] = useState('');
  const [draft, setDraft] = useState(draftOf(DEFAULT_SCOPES));
  const { busy, error, submit } = useFormAction(async () => {
    const res = await client.createIntegration({
      name: name.trim(),
      scopes: scopesOf(draft),
      ...(kind === 'service' ? { base_url: baseUrl.trim(), route_prefix: prefix.trim() } : {}),
      ...(maxSessions.trim() ? { max_sessions: Number(maxSessions) } : {}),
    });
    putIntegration(res.integration);
    onKey(res);
  });

  return (
    <Dialog title="Register an integration" onClose={onClose} wide>
      <form class="form" onSubmit={submit}>
        <div class="field">
          <label for="reg-name">Name</label>
          <input id="reg-name" required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. slack-bot" />
        </div>
        <fieldset class="segmented">
          <legend>Kind</legend>
          <label class="check">
            <input type="radio" name="reg-kind" checked={kind === 'consumer'} onChange={() => setKind('consumer')} />
            <span>Consumer</span>
            <span class="muted small">calls the gateway with its key</span>
          </label>
          <label class="check">
            <input type="radio" name="reg-kind" checked={kind === 'service'} onChange={() => setKind('service')} />
            <span>Service</span>
            <span class="muted small">also reachable through the proxy, health-probed</span>
          </label>
        </fieldset>
        {kind === 'service' ? (
          <div class="grid-2">
            <div class="field">
              <label for="reg-url">Base URL</label>
              <input id="reg-url" type="url" required class="mono" value={baseUrl} onInput={(e) => setBaseUrl(e.currentTarget.value)} placeholder="http://127.0.0.1:9000" />
            </div>
            <div class="field">
              <label for="reg-prefix">Route prefix</label>
              <input id="reg-prefix" required class="mono" pattern="[a-z0-9][a-z0-9-]{0,62}" value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} placeholder="slack-bot" />
            </div>
          </div>
        ) : null}
        <ScopesField draft={draft} onChange={setDraft} idPrefix="reg" />
        <div class="field field-narrow">
          <label for="reg-max">Live sessions it may run <span class="muted">(optional)</span></label>
          <input id="reg-max" type="number" min={0} max={1000} step={1} value={maxSessions} onInput={(e) => setMaxSessions(e.currentTarget.value)} placeholder="gateway default" />
        </div>
        <ErrorText error={error} />
        <div class="form-actions">
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>Register</Button>
        </div>
      </form>
    </Dialog>
  );
}

/** The key (and signing secret) exactly once, with copy buttons (SPEC §2.2). */
export function KeyDialog({ result, onClose, rotated }: { result: IntegrationWithKey; onClose: () => void; rotated?: boolean }): JSX.Element {
  return (
    <Dialog
      title={rotated ? `New key for ${result.integration.name}` : `${result.integration.name} is registered`}
      onClose={onClose}
      wide
      footer={<Button variant="primary" onClick={onClose}>I have saved it</Button>}
    >
      <p class="warning" role="alert">
        <strong>Copy the key now — you will not see this again.</strong> The gateway keeps only a hash of it.
      </p>
      <SecretField id="key-api" label="API key" value={result.api_key} />
      {result.signing_secret ? <SecretField id="key-secret" label="Signing secret (verifies X-OpenDray-Signature)" value={result.signing_secret} /> : null}
    </Dialog>
  );
}

const GRACE_CHOICES = [
  { value: 0, label: 'Immediately' },
  { value: 60, label: 'After 1 minute' },
  { value: 300, label: 'After 5 minutes' },
  { value: 3600, label: 'After 1 hour' },
  { value: 86_400, label: 'After 1 day' },
];

/** Rotates the key, optionally keeping the old one valid for a grace period. */
export function RotateDialog({ integration, onClose, onKey }: { integration: Integration; onClose: () => void; onKey: (k: IntegrationWithKey) => void }): JSX.Element {
  const [grace, setGrace] = useState(0);
  const { busy, error, submit: rotate } = useFormAction(async () => {
    const res = await client.rotateKey(integration.id, grace ? { grace_seconds: grace } : {});
    putIntegration(res.integration);
    onKey(res);
  });
  return (
    <Dialog title={`Rotate the key of ${integration.name}`} onClose={onClose}>
      <form class="form" onSubmit={rotate}>
        <p>A new key is issued and shown once. Sockets using the old key close when it stops working.</p>
        <div class="field">
          <label for="rotate-grace">The old key stops working</label>
          <select id="rotate-grace" value={String(grace)} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
            {GRACE_CHOICES.map((c) => <option key={c.value} value={String(c.value)}>{c.label}</option>)}
          </select>
        </div>
        <ErrorText error={error} />
        <div class="form-actions">
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" icon="key" busy={busy}>Rotate key</Button>
        </div>
      </form>
    </Dialog>
  );
}

/** Edits scopes, limits, base URL and session visibility. */
export function EditDialog({ integration, onClose }: { integration: Integration; onClose: () => void }): JSX.Element {
  const [draft, setDraft] = useState(draftOf(integration.scopes));
  const [baseUrl, setBaseUrl] = useState(integration.base_url);
  // null: no per-integration cap (SPEC §16); an empty box keeps it so.
  const [maxSessions, setMaxSessions] = useState(integration.max_sessions === null ? '' : String(integration.max_sessions));
  const [sessionAccess, setSessionAccess] = useState<string>(integration.session_access);

  const { busy, error, submit: save } = useFormAction(async () => {
    const patch: UpdateIntegrationRequest = {
      scopes: scopesOf(draft),
      max_sessions: maxSessions.trim() ? Number(maxSessions) : null,
      ...(integration.base_url ? { base_url: baseUrl.trim() } : {}),
      ...(sessionAccess === 'shared' || sessionAccess === 'own' ? { session_access: sessionAccess } : {}),
    };
    putIntegration(await client.updateIntegration(integration.id, patch));
    onClose();
  });

  return (
    <Dialog title={`Edit ${integration.name}`} onClose={onClose} wide>
      <form class="form" onSubmit={save}>
        {integration.base_url ? (
          <div class="field">
            <label for="edit-url">Base URL</label>
            <input id="edit-url" type="url" required class="mono" value={baseUrl} onInput={(e) => setBaseUrl(e.currentTarget.value)} />
          </div>
        ) : null}
        <ScopesField draft={draft} onChange={setDraft} idPrefix="edit" />
        <div class="field field-narrow">
          <label for="edit-access">Sessions it sees</label>
          <select id="edit-access" value={sessionAccess} onChange={(e) => setSessionAccess(e.currentTarget.value)}>
            <option value="shared">Its own and the operator's</option>
            <option value="own">Only its own</option>
          </select>
        </div>
        <div class="field field-narrow">
          <label for="edit-max">Live sessions it may run <span class="muted">(empty: no limit)</span></label>
          <input id="edit-max" type="number" min={0} max={1000} step={1} value={maxSessions} placeholder="no limit" onInput={(e) => setMaxSessions(e.currentTarget.value)} />
        </div>
        <ErrorText error={error} />
        <div class="form-actions">
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>Save</Button>
        </div>
      </form>
    </Dialog>
  );
}
