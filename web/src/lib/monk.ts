/**
 * The Monk Skin Tone scale (Monk 2019; the ten swatches as published by Google, also the
 * engine's MONK_HEX in measures/skin-tone.ts) and the range of tones across the face.
 */
import { deltaE76, hexToLab, type Lab } from '../../../src/engine/browser.ts';
import type { SkinTone } from '../types.ts';

export const MONK_SCALE = ['#f6ede4', '#f3e7db', '#f7ead0', '#eadaba', '#d7bd96', '#a07e56', '#825c43', '#604134', '#3a312a', '#292420'];
const MONK_LAB = MONK_SCALE.map(hexToLab);

function nearest(lab: Lab): number {
  let best = 0;
  for (let i = 1; i < MONK_LAB.length; i++) if (deltaE76(lab, MONK_LAB[i]!) < deltaE76(lab, MONK_LAB[best]!)) best = i;
  return best + 1;
}

/**
 * The lowest and highest Monk tone over the measured regions. Each region reports its ITA;
 * with the face's a* and b*, ITA = atan((L* − 50)/b*) gives back that region's L*
 * (Chardon et al. 1991), whose nearest swatch is the region's tone. The estimate is always inside.
 */
export function monkRange(tone: Extract<SkinTone, { available: true }>): { from: number; to: number } {
  let from = tone.monk_tone;
  let to = tone.monk_tone;
  const { a, b } = tone.lab;
  if (b > 0) {
    for (const ita of Object.values(tone.per_region)) {
      if (ita === null) continue;
      const L = 50 + b * Math.tan((ita * Math.PI) / 180);
      if (!Number.isFinite(L)) continue;
      const t = nearest({ L: Math.max(0, Math.min(100, L)), a, b });
      from = Math.min(from, t);
      to = Math.max(to, t);
    }
  }
  return { from, to };
}
