/**
 * Scores and summary of a result, computed from its raw measures and model outputs
 * (mapping.ts holds every mapping and its rationale).
 */
import type { Concern, Score, ScoreName, Scores, Summary } from '../result/schema.ts';
import { CONCERNS, SCORE_NAMES } from '../result/schema.ts';
import { bandOf, describeAnchors, piecewise, toScore } from './bands.ts';
import { SCORE_DEFINITIONS, type ScoreInputs } from './mapping.ts';
import { uncertaintyOf } from './uncertainty.ts';

export type { ScoreInputs } from './mapping.ts';

export function scoreOne(name: ScoreName, inputs: ScoreInputs): Score {
  const def = SCORE_DEFINITIONS[name];
  const raw = def.raw(inputs);
  if ('reason' in raw) return { available: false, reason: raw.reason };
  const anchors = def.anchors(inputs);
  const value = toScore(piecewise(anchors, raw.value));
  const issues = inputs.quality.issues.map((i) => i.code).filter((c) => def.sensitiveTo.includes(c));
  const wbUntrusted = def.color && !inputs.cv.white_balance.reliable;
  return {
    available: true,
    value,
    band: bandOf(value),
    reliable: issues.length === 0 && !wbUntrusted,
    uncertainty: uncertaintyOf(name),
    basis: { measures: [...def.measures], mapping: describeAnchors(anchors, def.unit) },
  };
}

export function computeScores(inputs: ScoreInputs): Scores {
  return Object.fromEntries(SCORE_NAMES.map((n) => [n, scoreOne(n, inputs)])) as Scores;
}

/**
 * Probability of rosacea, eczema or pigmentation at or above which the summary suggests a
 * professional, when the condition model's answer is `reliable` (the photo's quality passes:
 * models/calibration.ts). On a photo below that level the flag stays off and the note asks for
 * a better photo instead: `npm run repeatability` measured biden2.jpg's rosacea probability
 * going 0.10 → 0.52 under +15 % exposure alone (the photo then reads TOO_BRIGHT).
 */
export const PROFESSIONAL_LEVEL = 0.5;
export const PROFESSIONAL_CONDITIONS = ['rosacea', 'eczema', 'pigmentation'] as const;
/** Concerns below this score (the bottom of "good") can stand out in the summary. */
export const CONCERN_BELOW = 70;
export const MAX_CONCERNS = 3;

const WORDS: Record<Concern, string> = {
  acne: 'blemishes or acne',
  redness: 'redness',
  wrinkles: 'lines and wrinkles',
  texture: 'uneven or rough texture',
  dark_circles: 'dark circles under the eyes',
  evenness: 'uneven tone or dark spots',
  oiliness: 'shine or oiliness',
};
const LEVEL: Record<string, string> = { average: 'some', poor: 'marked', bad: 'strong' };

export function summarise(scores: Scores, inputs: ScoreInputs): Summary {
  const parts = CONCERNS.map((c) => ({ c, s: scores[c] })).filter(
    (p): p is { c: Concern; s: Extract<Score, { available: true }> } => p.s.available,
  );
  let overall: Score;
  if (parts.length === 0) {
    overall = { available: false, reason: 'no concern score is available' };
  } else {
    const value = toScore(parts.reduce((a, p) => a + p.s.value, 0) / parts.length);
    const us = parts.map((p) => p.s.uncertainty);
    // Independent errors: the mean's uncertainty is √(Σu²)/n.
    const uncertainty = us.every((u) => u !== null)
      ? Math.round((Math.sqrt(us.reduce((a, u) => a + (u as number) ** 2, 0)) / us.length) * 10) / 10
      : uncertaintyOf('overall');
    overall = {
      available: true,
      value,
      band: bandOf(value),
      reliable: parts.every((p) => p.s.reliable),
      uncertainty,
      basis: { measures: parts.map((p) => `scores.${p.c}`), mapping: 'mean of the available concern scores' },
    };
  }
  const concerns = parts
    .filter((p) => p.s.value < CONCERN_BELOW)
    .sort((x, y) => x.s.value - y.s.value)
    .slice(0, MAX_CONCERNS)
    .map((p) => ({
      score: p.c,
      value: p.s.value,
      band: p.s.band,
      text: `${LEVEL[p.s.band] ?? 'some'} ${WORDS[p.c]} (${p.s.value}/100, ${p.s.band})`.replace(/^./, (ch) => ch.toUpperCase()),
    }));
  const cond = inputs.ml.condition_analysis;
  let see = false;
  let note: string;
  if (!cond.available) {
    note = `the condition model is unavailable (${cond.reason}), so no advice either way`;
  } else {
    const high = PROFESSIONAL_CONDITIONS.filter((c) => cond.probabilities[c] >= PROFESSIONAL_LEVEL);
    const found = `the condition model gives ${high.map((c) => `${c} ${Math.round(cond.probabilities[c] * 100)} %`).join(', ')} (level ${PROFESSIONAL_LEVEL * 100} %)`;
    see = high.length > 0 && cond.reliable;
    if (see) note = `${found}: consider showing your skin to a dermatologist`;
    else if (high.length > 0) note = `${found}, but on a photo whose quality is below the level at which the model is reliable: retake it in even light, facing the camera; if it stays, consider a dermatologist`;
    else note = `no rosacea, eczema or pigmentation probability reaches ${PROFESSIONAL_LEVEL * 100} %`;
  }
  return { overall, concerns, see_a_professional: see, professional_note: note };
}
