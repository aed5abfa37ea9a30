/** The account: who is logged in, log out (ends the session on the server), change the password, and delete everything (needs the password). */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { forgetKeepsPhoto } from '../lib/keep-photo.ts';
import { clearSession, getSession } from '../session.ts';
import { ChangePassword } from './ChangePassword.tsx';

export function AccountView({ onGone }: { onGone: (message: string) => void }) {
  const [sure, setSure] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const email = getSession()?.email ?? '';

  async function remove(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await api.deleteAccount(password);
      forgetKeepsPhoto(email);
      clearSession();
      onGone(`Your account and ${r.scans_deleted} scan${r.scans_deleted === 1 ? '' : 's'} were deleted.`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <section class="panel narrow" aria-labelledby="account-h">
      <h1 id="account-h" tabIndex={-1}>
        Your account
      </h1>
      <p>
        Logged in as <strong>{email}</strong>.
      </p>
      <button
        type="button"
        onClick={async () => {
          // End the session on the server too: the token is refused from now on. Logged out
          // here even when the service cannot be reached.
          await api.logout().catch(() => undefined);
          clearSession();
          onGone('You are logged out.');
        }}
      >
        Log out
      </button>
      <ChangePassword />
      <h2>Delete your account</h2>
      <p>This deletes your account, every scan, every result and every kept photo, at once. It cannot be undone.</p>
      <form onSubmit={remove} class="form">
        <label class="check">
          <input type="checkbox" name="confirm-delete" checked={sure} onChange={(e) => setSure(e.currentTarget.checked)} />
          <span>I understand that everything is deleted for good.</span>
        </label>
        <label for="delete-password">Your password</label>
        <input
          id="delete-password"
          name="delete-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="danger" disabled={!sure || !password || busy}>
          Delete my account
        </button>
      </form>
    </section>
  );
}
