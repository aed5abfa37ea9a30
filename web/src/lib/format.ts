/** Number and date formatting shared by the screens. */
/**
 * A 0..1 value as a percentage that never claims certainty: a model's 0.999 is "> 99 %", not
 * "100 %" (and 0.001 is "< 1 %", not "0 %").
 */
export function pct(v: number): string {
  if (v >= 0.995) return '> 99 %';
  if (v > 0 && v < 0.005) return '< 1 %';
  return `${Math.round(v * 100)} %`;
}
export const fixed = (v: number, digits = 2) => v.toFixed(digits);
export const label = (s: string) => s.replace(/_/g, ' ');

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Date and time, short: scans of one day still get different axis labels ("Dec 1, 09:05"). */
export function shortDateTime(iso: string, seconds = false): string {
  return new Date(iso).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hour12: false,
  });
}

/** Labels for several instants: date and time, with seconds only where two would read the same. */
export function distinctDateTimes(isos: string[]): string[] {
  const plain = isos.map((t) => shortDateTime(t));
  return plain.length === new Set(plain).size ? plain : isos.map((t) => shortDateTime(t, true));
}
