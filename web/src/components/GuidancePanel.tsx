/**
 * The live checks under the camera preview: one line per check (what it is, passed or the
 * instruction), the measured check rate, and a note that the server judges the photo again.
 */
import type { GuidanceState } from '../capture/live-guidance.ts';

export function GuidancePanel({ state }: { state: GuidanceState }) {
  if (state.status === 'loading') return <p class="hint guidance-note">Starting live checks…</p>;
  if (state.status === 'unavailable') {
    return (
      <p class="hint guidance-note" data-unavailable>
        Live checks are not available here ({state.reason}). Take the photo with the button.
      </p>
    );
  }
  return (
    <div class="guidance">
      <ul class="checks" aria-label="Live photo checks">
        {state.checks.map((c) => (
          <li key={c.id} data-check={c.id} data-ok={c.ok === null ? 'unknown' : c.ok ? 'yes' : 'no'}>
            <span class="mark" aria-hidden="true">
              {c.ok === null ? '–' : c.ok ? '✓' : '✗'}
            </span>
            <span class="label">{c.label}</span>
            <span class="verdict">{c.ok ? 'good' : c.instruction}</span>
          </li>
        ))}
      </ul>
      <p class="hint">
        The photo is taken by itself after about a second with every check passed. The server checks it again.{' '}
        <span class="rate">Live checks: {Math.round(state.rate)} per second.</span>
      </p>
    </div>
  );
}
