/** Number and date formatting shared by the screens. */
export const pct = (v: number) => `${Math.round(v * 100)} %`;
export const fixed = (v: number, digits = 2) => v.toFixed(digits);
export const label = (s: string) => s.replace(/_/g, ' ');

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** A 0..1 score in words, so the number is never the only cue. */
export function level(v: number): string {
  if (v < 0.2) return 'low';
  if (v < 0.5) return 'mild';
  if (v < 0.75) return 'moderate';
  return 'high';
}
