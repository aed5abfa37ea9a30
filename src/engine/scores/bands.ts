/**
 * The six bands every 0–100 score shares, and the piecewise-linear maps from a raw measure to
 * a score. A value on an edge belongs to the higher band (90 is "excellent", 89 "great").
 */
// A type-only import: the web app reads these edges without bundling zod.
import type { SCORE_BANDS } from '../result/schema.ts';

export type Band = (typeof SCORE_BANDS)[number];

/** Lower (inclusive) edge of each band, best first. */
export const BAND_EDGES: readonly { band: Band; from: number }[] = [
  { band: 'excellent', from: 90 },
  { band: 'great', from: 80 },
  { band: 'good', from: 70 },
  { band: 'average', from: 50 },
  { band: 'poor', from: 30 },
  { band: 'bad', from: 0 },
];

export function bandOf(value: number): Band {
  for (const e of BAND_EDGES) if (value >= e.from) return e.band;
  return 'bad';
}

/** Anchor points (raw, score), raw increasing; linear between them, constant beyond the ends. */
export type Anchors = readonly (readonly [number, number])[];

export function piecewise(anchors: Anchors, x: number): number {
  if (x <= anchors[0][0]) return anchors[0][1];
  for (let k = 1; k < anchors.length; k++) {
    const [x1, y1] = anchors[k];
    if (x <= x1) {
      const [x0, y0] = anchors[k - 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return anchors[anchors.length - 1][1];
}

/** A score value: rounded to whole points and kept in 0..100. */
export function toScore(v: number): number {
  return Math.max(0, Math.min(100, Math.round(v)));
}

export function describeAnchors(anchors: Anchors, unit: string): string {
  return anchors.map(([x, y]) => `${unit} ${x} → ${y}`).join(', ') + ', linear between';
}
