/**
 * The six score bands as the app shows them: the engine's edges (scores/bands.ts, one
 * definition), a colour each and a word each. Colour is never the only cue: the band's word
 * and the number are always printed beside it.
 */
import { BAND_EDGES, bandOf, type Band } from '../../../src/engine/browser.ts';

export { BAND_EDGES, bandOf, type Band };

/** Red (bad) to green (excellent), each ≥ 4.8:1 against white and the page (WCAG 1.4.3), as they also colour text. */
export const BAND_COLORS: Record<Band, string> = {
  excellent: '#16693a',
  great: '#4a7d12',
  good: '#616b00',
  average: '#8a6100',
  poor: '#b04a0c',
  bad: '#b3261e',
};

/** The segments of the 0–100 scale, low to high: [from, to) and the band. */
export const BAND_SEGMENTS: { band: Band; from: number; to: number }[] = BAND_EDGES.map((e, i) => ({
  band: e.band,
  from: e.from,
  to: i === 0 ? 100 : BAND_EDGES[i - 1]!.from,
})).reverse();

/** Score names in words (the summary's concern sentences come from the engine). */
export const SCORE_TITLES: Record<string, string> = {
  overall: 'Overall',
  acne: 'Blemishes (acne)',
  redness: 'Redness',
  wrinkles: 'Lines and wrinkles',
  wrinkles_forehead: 'Forehead lines',
  wrinkles_crows_feet: "Crow's feet",
  wrinkles_under_eye: 'Under-eye lines',
  wrinkles_nasolabial: 'Smile lines',
  texture: 'Texture',
  dark_circles: 'Dark circles',
  evenness: 'Even tone',
  oiliness: 'Shine (oiliness)',
};
