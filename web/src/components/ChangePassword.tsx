/** Change the password: needs the current one; the service then ends every other session. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';

export function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const r = await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setDone(`Your password was changed. ${r.sessions_ended} other session${r.sessions_ended === 1 ? '' : 's'} ended.`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} class="form" aria-labelledby="password-h">
      <h2 id="password-h">Change your password</h2>
      <p>Every other device where you are logged in is logged out.</p>
      <label for="current-password">Current password</label>
      <input id="current-password" name="current-password" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
      <label for="new-password">New password</label>
      <input id="new-password" name="new-password" type="password" autoComplete="new-password" minLength={8} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {done && <p role="status">{done}</p>}
      <button type="submit" disabled={busy || !current || !next}>
        Change password
      </button>
    </form>
  );
}
