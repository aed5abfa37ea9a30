/**
 * Score trends over a person's scans. A change between two consecutive scans counts as real
 * only when it exceeds the score's measured minimal detectable change (MDC95 from
 * `npm run repeatability`, scores/uncertainty.ts); smaller changes are within the noise of
 * taking the photo again.
 */
import { minimalDetectableChange, SCORE_NAMES, type ScoreName } from '../engine/api.ts';
import { parseResult, whenAvailable } from './stored-result.ts';

export const TREND_SCORES = ['overall', ...SCORE_NAMES] as const;
export type TrendScore = ScoreName | 'overall';
export type ScoreValues = Partial<Record<TrendScore, number | null>>;

export interface ScoreChange {
  /** Points since the previous scan that had this score. */
  delta: number;
  /** |delta| > the minimal detectable change. */
  real: boolean;
}

/** The 0–100 score values of a stored result (null where unavailable or unreadable). */
export function scoreValues(result: { scores?: Record<string, unknown>; summary?: { overall?: unknown } } | null): ScoreValues {
  const out: ScoreValues = {};
  const pick = (s: unknown) => (s && typeof s === 'object' && 'available' in s && s.available && 'value' in s && typeof s.value === 'number' ? s.value : null);
  out.overall = pick(result?.summary?.overall);
  for (const n of SCORE_NAMES) out[n] = pick(result?.scores?.[n]);
  return out;
}

export function mdcTable(): Partial<Record<TrendScore, number>> {
  const out: Partial<Record<TrendScore, number>> = {};
  for (const n of TREND_SCORES) {
    const m = minimalDetectableChange(n);
    if (m !== null) out[n] = m;
  }
  return out;
}

/** Per point (oldest first), the change of each score since its previous value. */
export function markChanges(series: ScoreValues[], mdc = mdcTable()): Partial<Record<TrendScore, ScoreChange>>[] {
  const last: ScoreValues = {};
  return series.map((values) => {
    const changes: Partial<Record<TrendScore, ScoreChange>> = {};
    for (const n of TREND_SCORES) {
      const v = values[n];
      if (v === null || v === undefined) continue;
      const prev = last[n];
      if (prev !== null && prev !== undefined) {
        const delta = v - prev;
        const limit = mdc[n];
        changes[n] = { delta, real: limit !== undefined && Math.abs(delta) > limit };
      }
      last[n] = v;
    }
    return changes;
  });
}

/** A result's main 0..1 measures for the person's trend chart; null where a part is unavailable. */
export function trendScores(resultJson: string | null): Record<string, number | null> {
  const r = parseResult(resultJson);
  const cv = r?.cv_analysis;
  const none = null as number | null;
  return {
    confidence: typeof r?.confidence === 'number' ? r.confidence : null,
    acne: whenAvailable(r?.ml_analysis?.acne_analysis, (p) => ('probabilities' in p ? p.probabilities?.acne : undefined), none),
    redness: whenAvailable(cv?.redness, (p) => ('score' in p ? p.score : undefined), none),
    wrinkles: whenAvailable(cv?.wrinkles, (p) => ('density' in p ? p.density : undefined), none),
    dark_circles: whenAvailable(cv?.dark_circles, (p) => ('severity' in p ? p.severity : undefined), none),
    texture: typeof cv?.texture_quality === 'number' ? cv.texture_quality : null,
  };
}
