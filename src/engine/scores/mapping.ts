/**
 * The one place where raw measures become 0–100 scores (higher = healthier-looking skin).
 *
 * Every map is piecewise linear through documented anchors. The common rule: where a measure
 * has a "detected" threshold, that threshold lands on 70, the bottom of "good", so a finding
 * that is detected never shows as good and one that is not never shows below it. Raw measures
 * stay where they are in `cv_analysis` / `ml_analysis`; `basis` names them.
 *
 * - acne: the acne model's p(acne). 0 → 100, the model's threshold → 70, 1 → 0.
 * - redness: the redness score (logistic of skin mean a*, midpoint a* 18, redness.ts):
 *   100·(1 − s), so a* 18 → 50 and typical unirritated skin (a* ≈ 10–13) → 75–88.
 * - wrinkles (overall and per zone): ridge density; 0 → 100, the detection density → 70 (overall
 *   0.30; forehead 0.081, the other zones 0.31–0.45, wrinkles.ts), twice it → 0. On the UTKFace
 *   test half the median 16–29-year-old face scores 73, the median 45–60-year-old 55.5 (npm run
 *   validity; README, validity table).
 * - texture: texture quality q = 1/(1 + (E/E0)²) (texture.ts): 100·q.
 * - dark circles: severity (ΔL* 2…12 mapped to 0…1): 0 → 100, the detection level 0.25 → 70, 1 → 0.
 * - evenness: evenness quality (evenness.ts): 100·q.
 * - oiliness: mean shine fraction of T-zone and cheeks; 0 → 100, the "oily" shine 0.04 → 70,
 *   0.2 → 0.
 */
import type { AnalysisResult, Quality, ScoreName } from '../result/schema.ts';
import type { QualityCode } from '../measures/quality.ts';
import { DARK_CIRCLE_DETECT } from '../measures/dark-circles.ts';
import { SHINE_OILY } from '../measures/skin-type.ts';
import { WRINKLE_DENSITY_THRESHOLD, WRINKLE_ZONE_THRESHOLDS } from '../measures/wrinkles.ts';
import type { Anchors } from './bands.ts';

export interface ScoreInputs {
  ml: AnalysisResult['ml_analysis'];
  cv: AnalysisResult['cv_analysis'];
  quality: Quality;
}

export type Raw = { value: number } | { reason: string };

export interface ScoreDefinition {
  measures: readonly string[];
  /** Anchors, possibly depending on the result (the acne model's own threshold). */
  anchors(inputs: ScoreInputs): Anchors;
  unit: string;
  raw(inputs: ScoreInputs): Raw;
  /** Quality issues that make this score unreliable on the photo. */
  sensitiveTo: readonly QualityCode[];
  /** Colour-based: also unreliable when the white balance could not be trusted. */
  color: boolean;
}

// SKIN_NOT_FOUND (no skin to measure) makes every score unreliable: it is in both lists.
const GEOMETRY: readonly QualityCode[] = ['BLURRED', 'FACE_TOO_SMALL', 'FACE_TURNED', 'SKIN_NOT_FOUND'];
const COLOR: readonly QualityCode[] = ['TOO_DARK', 'TOO_BRIGHT', 'COLOR_CAST', 'FACE_TURNED', 'SKIN_NOT_FOUND'];
const DETECTED_AT = 70;

function wrinkleZone(zone: 'forehead' | 'crows_feet' | 'under_eye' | 'nasolabial'): ScoreDefinition {
  return {
    measures: [`cv_analysis.wrinkles.per_region.${zone}.density`],
    anchors: () => wrinkleAnchors(WRINKLE_ZONE_THRESHOLDS[zone]),
    unit: 'density',
    raw: ({ cv }) => {
      const w = cv.wrinkles;
      if (!w.available) return { reason: `wrinkles unavailable: ${w.reason}` };
      const z = w.per_region[zone];
      return z === null ? { reason: `the ${zone.replace('_', ' ')} zone is missing or too small` } : { value: z.density };
    },
    sensitiveTo: GEOMETRY,
    color: false,
  };
}

const wrinkleAnchors = (detectAt: number): Anchors => [[0, 100], [detectAt, DETECTED_AT], [2 * detectAt, 0]];
const WRINKLE_ANCHORS = wrinkleAnchors(WRINKLE_DENSITY_THRESHOLD);

export const SCORE_DEFINITIONS: Record<ScoreName, ScoreDefinition> = {
  acne: {
    measures: ['ml_analysis.acne_analysis.probabilities.acne', 'ml_analysis.acne_analysis.threshold'],
    anchors: ({ ml }) => {
      const t = ml.acne_analysis.available ? ml.acne_analysis.threshold : 0.5;
      return [[0, 100], [t, DETECTED_AT], [1, 0]];
    },
    unit: 'p(acne)',
    raw: ({ ml }) =>
      ml.acne_analysis.available
        ? { value: ml.acne_analysis.probabilities.acne }
        : { reason: `the acne model is unavailable: ${ml.acne_analysis.reason}` },
    sensitiveTo: [...GEOMETRY, 'TOO_DARK', 'TOO_BRIGHT'],
    color: false,
  },
  redness: {
    measures: ['cv_analysis.redness.score'],
    anchors: () => [[0, 100], [1, 0]],
    unit: 'redness score',
    raw: ({ cv }) => (cv.redness.available ? { value: cv.redness.score } : { reason: `redness unavailable: ${cv.redness.reason}` }),
    sensitiveTo: COLOR,
    color: true,
  },
  wrinkles: {
    measures: ['cv_analysis.wrinkles.density'],
    anchors: () => WRINKLE_ANCHORS,
    unit: 'density',
    raw: ({ cv }) => (cv.wrinkles.available ? { value: cv.wrinkles.density } : { reason: `wrinkles unavailable: ${cv.wrinkles.reason}` }),
    sensitiveTo: GEOMETRY,
    color: false,
  },
  wrinkles_forehead: wrinkleZone('forehead'),
  wrinkles_crows_feet: wrinkleZone('crows_feet'),
  wrinkles_under_eye: wrinkleZone('under_eye'),
  wrinkles_nasolabial: wrinkleZone('nasolabial'),
  texture: {
    measures: ['cv_analysis.texture_quality'],
    anchors: () => [[0, 0], [1, 100]],
    unit: 'texture quality',
    raw: ({ cv }) => (cv.texture_quality === null ? { reason: 'texture unavailable: too little interior skin' } : { value: cv.texture_quality }),
    sensitiveTo: GEOMETRY,
    color: false,
  },
  dark_circles: {
    measures: ['cv_analysis.dark_circles.severity'],
    anchors: () => [[0, 100], [DARK_CIRCLE_DETECT, DETECTED_AT], [1, 0]],
    unit: 'severity',
    raw: ({ cv }) =>
      cv.dark_circles.available ? { value: cv.dark_circles.severity } : { reason: `dark circles unavailable: ${cv.dark_circles.reason}` },
    sensitiveTo: [...COLOR, 'BLURRED'],
    color: true,
  },
  evenness: {
    measures: ['cv_analysis.evenness.quality'],
    anchors: () => [[0, 0], [1, 100]],
    unit: 'evenness quality',
    raw: ({ cv }) => (cv.evenness.available ? { value: cv.evenness.quality } : { reason: `evenness unavailable: ${cv.evenness.reason}` }),
    sensitiveTo: [...GEOMETRY, 'TOO_DARK', 'TOO_BRIGHT'],
    color: false,
  },
  oiliness: {
    measures: ['cv_analysis.skin_type.shine.t_zone', 'cv_analysis.skin_type.shine.cheeks'],
    anchors: () => [[0, 100], [SHINE_OILY, DETECTED_AT], [0.2, 0]],
    unit: 'mean shine fraction',
    raw: ({ cv }) =>
      cv.skin_type.available
        ? { value: (cv.skin_type.shine.t_zone + cv.skin_type.shine.cheeks) / 2 }
        : { reason: `skin type unavailable: ${cv.skin_type.reason}` },
    sensitiveTo: ['TOO_BRIGHT', 'FACE_TURNED', 'BLURRED', 'SKIN_NOT_FOUND'],
    color: false,
  },
};
