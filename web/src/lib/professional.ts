/**
 * The summary's advice about the skin-condition model, in likelihood words (the numbers are in
 * the details). The engine decides `see_a_professional` (src/engine/scores/index.ts: a rosacea,
 * eczema or pigmentation probability ≥ 0.5 on a photo of reliable quality). On a photo below
 * that quality the engine does not refer anyone; if the model still finds one of them
 * possible, the page asks for a better photo instead of staying silent.
 */
import type { AnalysisResult } from '../types.ts';
import { label } from './format.ts';
import { likelihood } from './likelihood.ts';

const REFERRAL_CONDITIONS = ['rosacea', 'eczema', 'pigmentation'] as const;

export function professionalAdvice(result: AnalysisResult): string | null {
  const { summary } = result;
  const cond = result.ml_analysis.condition_analysis;
  if (!cond.available) return summary.see_a_professional ? summary.professional_note : null;
  const found = REFERRAL_CONDITIONS.filter((c) => likelihood(cond.probabilities[c]) !== 'unlikely').map((c) => `${label(c)} ${likelihood(cond.probabilities[c])}`);
  if (summary.see_a_professional) return `The skin-condition model finds ${found.join(', ')}: consider showing your skin to a dermatologist.`;
  if (!cond.reliable && found.length > 0) {
    return `The skin-condition model finds ${found.join(', ')}, but this photo's quality is too low to rely on it: retake it in even light, facing the camera.`;
  }
  return null;
}
