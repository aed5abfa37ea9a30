/** Change the password: needs the current one; the service then ends every other session. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { PasswordField, PasswordForm } from './PasswordForm.tsx';

export function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState<string | null>(null);

  async function change() {
    setDone(null);
    const r = await api.changePassword(current, next);
    setCurrent('');
    setNext('');
    setDone(`Your password was changed. ${r.sessions_ended} other session${r.sessions_ended === 1 ? '' : 's'} ended.`);
  }

  return (
    <PasswordForm onSubmit={change} submitLabel="Change password" ready={!!current && !!next} labelledBy="password-h" status={done}>
      <h2 id="password-h">Change your password</h2>
      <p>Every other device where you are logged in is logged out.</p>
      <PasswordField id="current-password" label="Current password" fresh={false} value={current} onInput={setCurrent} />
      <PasswordField id="new-password" label="New password" fresh minLength={8} value={next} onInput={setNext} />
    </PasswordForm>
  );
}
