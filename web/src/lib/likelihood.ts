/**
 * Model probabilities in calibrated likelihood words, so no result reads as certain. The
 * words and their edges follow the IPCC's likelihood scale (Mastrandrea et al. 2010, "Guidance
 * note for lead authors of the IPCC AR5 on consistent treatment of uncertainties"):
 *   p < 0.33 unlikely · 0.33 ≤ p < 0.66 possible ("about as likely as not") ·
 *   0.66 ≤ p < 0.90 likely · p ≥ 0.90 very likely.
 * The models' outputs are temperature-calibrated (src/engine/models/calibration.ts), so a
 * word means the same frequency for every model. The number itself sits in the details.
 */
export const LIKELIHOOD_EDGES = [
  { word: 'very likely', from: 0.9 },
  { word: 'likely', from: 0.66 },
  { word: 'possible', from: 0.33 },
  { word: 'unlikely', from: 0 },
] as const;

export type Likelihood = (typeof LIKELIHOOD_EDGES)[number]['word'];

export function likelihood(p: number): Likelihood {
  for (const e of LIKELIHOOD_EDGES) if (p >= e.from) return e.word;
  return 'unlikely';
}
