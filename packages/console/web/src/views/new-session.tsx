import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Provider } from '@opendray/sdk';
import { client } from '../state/auth.js';
import { putSession } from '../state/live.js';
import { navigate } from '../state/router.js';
import { useFormAction } from '../ui/form-action.js';
import { Button, Dialog, ErrorText } from '../ui/kit.js';

/** Starts a session: a provider (with whether it is installed), a directory and a name. */
export function NewSessionDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [providerId, setProviderId] = useState('shell');
  const [cwd, setCwd] = useState('');
  const [name, setName] = useState('');

  const { busy, error, setError, submit } = useFormAction(async () => {
    const session = await client.createSession({
      provider_id: providerId,
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(cwd.trim() ? { cwd: cwd.trim() } : {}),
    });
    putSession(session);
    onClose();
    navigate({ view: 'session', id: session.id });
  });

  useEffect(() => {
    client.listProviders().then(
      (list) => {
        setProviders(list);
        const usable = list.find((p) => p.id === 'shell' && usable_(p)) ?? list.find(usable_);
        if (usable) setProviderId(usable.id);
      },
      (err: unknown) => setError(err),
    );
  }, []);



  return (
    <Dialog title="New session" onClose={onClose}>
      <form onSubmit={submit} class="form">
        <fieldset class="providers" disabled={!providers}>
          <legend>Provider</legend>
          {providers === null ? <p class="muted">Loading providers…</p> : null}
          {providers?.map((p) => (
            <label key={p.id} class={`provider ${usable_(p) ? '' : 'provider-off'}`}>
              <input type="radio" name="provider" value={p.id} checked={providerId === p.id} disabled={!usable_(p)} onChange={() => setProviderId(p.id)} />
              <span class="provider-name">{p.display_name}</span>
              <span class="provider-meta">
                {!p.enabled ? 'disabled' : p.runtime.installed ? (p.runtime.version ?? 'installed') : 'not installed'}
              </span>
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="new-name">Name <span class="muted">(optional)</span></label>
          <input id="new-name" value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. fix-login-bug" />
        </div>
        <div class="field">
          <label for="new-cwd">Working directory <span class="muted">(optional)</span></label>
          <input id="new-cwd" class="mono" value={cwd} onInput={(e) => setCwd(e.currentTarget.value)} placeholder="the gateway's workspace" spellcheck={false} />
        </div>
        <ErrorText error={error} />
        <div class="form-actions">
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy} disabled={!providers}>Start session</Button>
        </div>
      </form>
    </Dialog>
  );
}

const usable_ = (p: Provider): boolean => p.enabled && p.runtime.installed;
