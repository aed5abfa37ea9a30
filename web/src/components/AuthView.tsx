/** Log in or create an account: one form, two buttons' worth of modes. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { setSession } from '../session.ts';
import { PasswordField, PasswordForm } from './PasswordForm.tsx';

export function AuthView({ onDone }: { onDone: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // A new form (no stale error) when the mode changes.
  const [formKey, setFormKey] = useState(0);

  async function enter() {
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
  }

  const registering = mode === 'register';
  return (
    <section class="panel narrow" aria-labelledby="auth-h">
      <h1 id="auth-h" tabIndex={-1}>
        {registering ? 'Create your account' : 'Log in'}
      </h1>
      <p class="muted">Your scans are private to your account. You can delete them, or the account, at any time.</p>
      <PasswordForm key={formKey} onSubmit={enter} submitLabel={registering ? 'Create account' : 'Log in'} busyLabel="Please wait…" primary>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <PasswordField
          id="password"
          label="Password"
          fresh={registering}
          minLength={8}
          value={password}
          onInput={setPassword}
          hint={registering ? 'At least 8 characters, not a common password and not your e-mail. A few words make a good one.' : 'At least 8 characters.'}
        />
      </PasswordForm>
      <p>
        {registering ? 'Already have an account?' : 'New here?'}{' '}
        <button type="button" class="link" onClick={() => { setMode(registering ? 'login' : 'register'); setFormKey((k) => k + 1); }}>
          {registering ? 'Log in' : 'Create an account'}
        </button>
      </p>
    </section>
  );
}
