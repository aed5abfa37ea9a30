/**
 * The one password form of the app (logging in, creating an account, changing the password):
 * the submit cycle (busy while waiting, the service's message shown as an alert when refused)
 * and the password input with its hint. The callers give the fields and what submitting does.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

export function PasswordForm(props: {
  /** Does the work; a throw is shown to the person (an ApiError's message as the service gave it). */
  onSubmit: () => Promise<void>;
  submitLabel: string;
  /** The button's text while waiting (default: unchanged). */
  busyLabel?: string;
  primary?: boolean;
  /** False keeps the button disabled (a field still empty). */
  ready?: boolean;
  labelledBy?: string;
  /** Shown above the button after a success (role=status). */
  status?: string | null;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} class="form" aria-labelledby={props.labelledBy}>
      {props.children}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {props.status && <p role="status">{props.status}</p>}
      <button type="submit" class={props.primary ? 'primary' : undefined} disabled={busy || props.ready === false}>
        {busy && props.busyLabel ? props.busyLabel : props.submitLabel}
      </button>
    </form>
  );
}

/** A labelled password input; `fresh` for a new password (the browser may suggest one), with a hint when given. */
export function PasswordField(props: { id: string; label: string; fresh: boolean; minLength?: number; value: string; onInput: (value: string) => void; hint?: string }) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type="password"
        autoComplete={props.fresh ? 'new-password' : 'current-password'}
        minLength={props.minLength}
        required
        aria-describedby={hintId}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint && (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </>
  );
}
