/**
 * The concern layers of the overlay: one per concern that has a place on the face (redness,
 * wrinkles, texture, dark circles), each a tint whose strength follows that area's 0–100
 * score: alpha = MAX_ALPHA · (100 − score) / 100, so a score of 100 adds nothing and a low
 * score shows strongly. Acne, evenness and oiliness are scored on the whole face and not
 * located, so they have no layer.
 *
 * Per-area scores: redness per region uses the engine's redness mapping, 100·(1 − s)
 * (scores/mapping.ts); each wrinkle zone has its own score (scores.wrinkles_*); texture and
 * dark circles have one score, drawn over the areas they were measured on.
 */
import { LANDMARK, NASOLABIAL_LEFT, NASOLABIAL_RIGHT } from '../../../src/engine/face/topology.ts';
import type { AnalysisResult, Score } from '../types.ts';

export type ConcernLayer = 'redness' | 'wrinkles' | 'texture' | 'dark_circles';
export const MAX_ALPHA = 0.65;

export const CONCERN_LAYERS: { id: ConcernLayer; name: string; color: [number, number, number]; pattern: 'solid' | 'hatch' | 'dots' }[] = [
  { id: 'redness', name: 'Redness', color: [229, 57, 53], pattern: 'solid' },
  { id: 'wrinkles', name: 'Lines and wrinkles', color: [30, 136, 229], pattern: 'hatch' },
  { id: 'texture', name: 'Texture', color: [0, 160, 138], pattern: 'dots' },
  { id: 'dark_circles', name: 'Dark circles', color: [142, 36, 170], pattern: 'solid' },
];

export type Pt = [number, number];

/** One tinted area: its outline (normalised image coordinates), score, and label. */
export interface Area {
  polygon: Pt[];
  score: number;
  label: string;
}

export function strength(score: number): number {
  return (MAX_ALPHA * Math.max(0, Math.min(100, 100 - score))) / 100;
}

const value = (s: Score | undefined) => (s && s.available ? s.value : null);

/** The areas of one concern layer in this result (empty when the concern is unavailable). */
export function concernAreas(result: AnalysisResult, layer: ConcernLayer): Area[] {
  const poly = (name: string) => result.regions[name]?.polygon ?? [];
  const out: Area[] = [];
  const add = (polygon: Pt[], score: number | null, label: string) => {
    if (score !== null && polygon.length >= 3) out.push({ polygon, score, label });
  };
  const cv = result.cv_analysis;
  if (layer === 'redness' && cv.redness.available) {
    for (const [name, r] of Object.entries(cv.redness.per_region)) {
      if (r) add(poly(name), Math.round(100 * (1 - r.score)), name.startsWith('under_eye') ? '' : `redness ${Math.round(100 * (1 - r.score))}`);
    }
  }
  if (layer === 'dark_circles') {
    const s = value(result.scores.dark_circles);
    add(poly('under_eye_right'), s, `dark circles ${s}`);
    add(poly('under_eye_left'), s, '');
  }
  if (layer === 'texture') {
    const s = value(result.scores.texture);
    for (const name of ['forehead', 'left_cheek', 'right_cheek', 'nose', 'chin']) add(poly(name), s, name === 'left_cheek' ? `texture ${s}` : '');
  }
  if (layer === 'wrinkles' && result.face) {
    const z = (n: string) => value(result.scores[n as keyof typeof result.scores]);
    add(poly('forehead'), z('wrinkles_forehead'), `forehead lines ${z('wrinkles_forehead')}`);
    add(poly('under_eye_right'), z('wrinkles_under_eye'), `under-eye lines ${z('wrinkles_under_eye')}`);
    add(poly('under_eye_left'), z('wrinkles_under_eye'), '');
    const lm = result.face.landmarks;
    const at = (i: number): Pt => [lm[i]![0], lm[i]![1]];
    const [rx, ry] = at(LANDMARK.rightEyeOuter);
    const [lx, ly] = at(LANDMARK.leftEyeOuter);
    const iod = Math.hypot(lx - rx, ((ly - ry) * result.image.height) / result.image.width);
    const ys = iod * (result.image.width / result.image.height);
    // Crow's feet: beside each outer eye corner, the engine's zone (region/skin-regions.ts) in image axes.
    const box = (x0: number, x1: number, y: number): Pt[] => [[x0, y - 0.15 * ys], [x1, y - 0.15 * ys], [x1, y + 0.22 * ys], [x0, y + 0.22 * ys]];
    const cf = z('wrinkles_crows_feet');
    add(box(rx - 0.4 * iod, rx - 0.06 * iod, ry), cf, `crow's feet ${cf}`);
    add(box(lx + 0.06 * iod, lx + 0.4 * iod, ly), cf, '');
    // Smile lines: a band along each nasolabial fold.
    const nl = z('wrinkles_nasolabial');
    for (const [k, idx] of [NASOLABIAL_RIGHT, NASOLABIAL_LEFT].entries()) add(band(idx.map(at), 0.07 * iod), nl, k === 0 ? `smile lines ${nl}` : '');
  }
  return out;
}

/** A polyline widened to a closed band of half-width r (normalised x units). */
function band(pts: Pt[], r: number): Pt[] {
  const left: Pt[] = [];
  const right: Pt[] = [];
  for (let i = 0; i < pts.length; i++) {
    const a = pts[Math.max(0, i - 1)]!;
    const b = pts[Math.min(pts.length - 1, i + 1)]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len = Math.hypot(dx, dy) || 1;
    const [nx, ny] = [(-dy / len) * r, (dx / len) * r];
    left.push([pts[i]![0] + nx, pts[i]![1] + ny]);
    right.push([pts[i]![0] - nx, pts[i]![1] - ny]);
  }
  return [...left, ...right.reverse()];
}

/** A fill for a layer: solid, or a hatch or dot pattern so overlapping layers stay apart. */
export function layerFill(ctx: CanvasRenderingContext2D, layer: (typeof CONCERN_LAYERS)[number], unit: number): string | CanvasPattern {
  const [r, g, b] = layer.color;
  const solid = `rgb(${r}, ${g}, ${b})`;
  if (layer.pattern === 'solid' || typeof OffscreenCanvas === 'undefined') return solid;
  const n = Math.max(6, Math.round(8 * unit));
  const tile = new OffscreenCanvas(n, n);
  const t = tile.getContext('2d');
  if (!t) return solid;
  t.fillStyle = solid;
  t.strokeStyle = solid;
  if (layer.pattern === 'hatch') {
    t.lineWidth = Math.max(1.5, n / 4);
    t.beginPath();
    t.moveTo(0, n);
    t.lineTo(n, 0);
    t.stroke();
  } else {
    t.beginPath();
    t.arc(n / 2, n / 2, n / 4, 0, Math.PI * 2);
    t.fill();
  }
  return ctx.createPattern(tile, 'repeat') ?? solid;
}
