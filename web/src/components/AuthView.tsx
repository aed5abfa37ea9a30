/** Log in or create an account: one form, two buttons' worth of modes. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { setSession } from '../session.ts';

export function AuthView({ onDone }: { onDone: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Registering answers the same for a taken e-mail (nobody learns which addresses have
      // accounts), so the app logs in right after; only the owner's password can succeed.
      if (mode === 'register') await api.register(email, password);
      let token;
      try {
        token = await api.login(email, password);
      } catch (err) {
        if (mode === 'register' && err instanceof ApiError && err.code === 'INVALID_CREDENTIALS') {
          throw new ApiError(401, err.code, 'This e-mail and password do not open an account. If the e-mail already has one, log in with its password.');
        }
        throw err;
      }
      setSession({ token: token.access_token, email: token.user?.email ?? email.toLowerCase(), expiresAt: token.expires_at });
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const registering = mode === 'register';
  return (
    <section class="panel narrow" aria-labelledby="auth-h">
      <h1 id="auth-h" tabIndex={-1}>
        {registering ? 'Create your account' : 'Log in'}
      </h1>
      <p class="muted">Your scans are private to your account. You can delete them, or the account, at any time.</p>
      <form onSubmit={submit} class="form" noValidate={false}>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={registering ? 'new-password' : 'current-password'}
          minLength={8}
          required
          aria-describedby="password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p id="password-hint" class="hint">{registering ? 'At least 8 characters, not a common password and not your e-mail. A few words make a good one.' : 'At least 8 characters.'}</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Please wait…' : registering ? 'Create account' : 'Log in'}
        </button>
      </form>
      <p>
        {registering ? 'Already have an account?' : 'New here?'}{' '}
        <button type="button" class="link" onClick={() => { setMode(registering ? 'login' : 'register'); setError(null); }}>
          {registering ? 'Log in' : 'Create an account'}
        </button>
      </p>
    </section>
  );
}
