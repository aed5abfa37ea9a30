/**
 * Honest probabilities. Models are calibrated by temperature scaling (manifest `calibration`,
 * applied in classifier.ts); here the engine's last word on what it reports:
 * - no probability is ever exactly 0 or 1: each is clipped to [PROB_MIN, PROB_MAX] (a photo
 *   can always be the exception; ECE is measured on these clipped values);
 * - `reliable` is false when image quality is below RELIABLE_MIN_QUALITY;
 * - the result's `confidence` combines image quality with model certainty.
 */

export const PROB_MIN = 0.005;
export const PROB_MAX = 0.995;

/**
 * Quality confidence (the product of the quality issues' penalties, measures/quality.ts) below
 * which model answers say `reliable: false`: any one of SKIN_NOT_FOUND (0.5), BLURRED, TOO_DARK,
 * TOO_BRIGHT (0.6), FACE_TOO_SMALL or FACE_TURNED (0.7) makes them unreliable; a colour cast
 * alone (0.8) does not.
 */
export const RELIABLE_MIN_QUALITY = 0.75;

/** Clip to [PROB_MIN, PROB_MAX] and renormalise (then clip again, for rounding), as training/calibrate.py does. */
export function clipProbabilities(p: Float32Array): Float32Array {
  const out = new Float32Array(p.length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += out[i] = Math.min(PROB_MAX, Math.max(PROB_MIN, p[i]));
  for (let i = 0; i < p.length; i++) out[i] = Math.min(PROB_MAX, Math.max(PROB_MIN, out[i] / sum));
  return out;
}

/** 0 (uniform) .. 1 (one class certain): the top probability rescaled from [1/k, 1]. */
export function certainty(p: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, p[i]);
  const k = p.length;
  return Math.max(0, Math.min(1, (max - 1 / k) / (1 - 1 / k)));
}

/**
 * Result confidence = image quality × mean over the models of (0.5 + 0.5 × certainty):
 * an uncertain model can halve it, a poor photo lowers it whatever the models say.
 */
export function combinedConfidence(quality: number, modelProbabilities: ArrayLike<number>[]): number {
  if (modelProbabilities.length === 0) return quality;
  const mean = modelProbabilities.reduce((s, p) => s + 0.5 + 0.5 * certainty(p), 0) / modelProbabilities.length;
  return quality * mean;
}
