import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { isOpendrayError } from '@opendray/sdk';
import { signIn } from '../state/auth.js';
import { useFormAction } from '../ui/form-action.js';
import { Button, ErrorText } from '../ui/kit.js';

/** The admin sign-in (SPEC §2.1): the same account as `opendray login`. */
export function Login({ notice }: { notice?: string }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit } = useFormAction(
    () => signIn(username, password),
    (err) => {
      setPassword('');
      return isOpendrayError(err) && err.status === 401 ? new Error('Wrong username or password.') : err;
    },
  );

  return (
    <main class="login" id="main">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true">›_</span>
          <span>opendray</span>
        </div>
        <h1 id="login-title">Sign in to the console</h1>
        <p class="subtitle">Use the admin account printed by <code>opendray serve</code>.</p>
        {notice ? <p class="notice" role="status">{notice}</p> : null}
        <div class="field">
          <label for="login-user">Username</label>
          <input id="login-user" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <ErrorText error={error} />
        <Button type="submit" variant="primary" class="btn-block" busy={busy}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
