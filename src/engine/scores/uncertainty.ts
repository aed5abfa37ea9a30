/**
 * Per-score uncertainty from the measured test–retest figures (`npm run repeatability --
 * --write` stores them in repeatability.json). With the pooled within-face SD of a score under
 * benign changes (its standard error of measurement, SEM):
 *   uncertainty of one score = 1.96 · SEM                       (95 % half-width),
 *   minimal detectable change = 1.96 · √2 · SEM ≈ 2.77 · SEM    (MDC95, Weir 2005, J Strength
 *   Cond Res 19:231): a change between two scans smaller than this is within the noise.
 */
import type { ScoreName } from '../result/schema.ts';
import figures from './repeatability.json' with { type: 'json' };

export interface RepeatabilityFigures {
  measured: string;
  /** Pooled SD of each score (points) under the benign changes. */
  sd: Partial<Record<ScoreName | 'overall', number>>;
  /** Largest change of each score from its original-photo value (points). */
  max_change: Partial<Record<ScoreName | 'overall', number>>;
}

export const REPEATABILITY = figures as RepeatabilityFigures;

export function uncertaintyOf(name: ScoreName | 'overall'): number | null {
  const sd = REPEATABILITY.sd[name];
  return sd === undefined ? null : Math.round(1.96 * sd * 10) / 10;
}

export function minimalDetectableChange(name: ScoreName | 'overall'): number | null {
  const sd = REPEATABILITY.sd[name];
  return sd === undefined ? null : Math.round(1.96 * Math.SQRT2 * sd * 10) / 10;
}
