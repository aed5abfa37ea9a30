/**
 * Acne per face region, from the one forward of the face crop (region-weights.ts):
 * - face mode: one row per landmark-defined skin region (forehead, both cheeks, nose, chin: the
 *   polygons of region/skin-regions.ts on the measure crop, AND its skin mask, which is the crop
 *   the model sees resized), so each answer reads the feature cells under that region's skin;
 * - close-up mode: the same crop cut into CLOSEUP_TILES × CLOSEUP_TILES tiles (no landmarks),
 *   each tile weighted by tile ∩ the close-up's skin mask; a tile with no skin pixel is null.
 *
 * What a region's number means: the heads were trained on whole-face labels, so a region's
 * logit is read as evidence about the FACE, not a lesion count of that region. It is calibrated
 * on its own (the whole-face temperature, fitted on whole-face pooled logits, is wrong for region
 * rows: a healthy face at p 0.005 had nose 0.75): Platt scaling (Platt 1999, "Probabilistic
 * outputs for support vector machines"), p_r = σ(a_r · z_r + b_r) with z_r = logit(acne) −
 * logit(no_acne) of row r, (a_r, b_r) fitted by training/region_threshold.py on the VALIDATION
 * split with the image's label. So p_r is "the probability that the face shows acne, judged from
 * this region alone". Close-up tiles share one (a, b). No calibration in the manifest for the
 * mode: per_region / per_tile are null with a reason (never the uncalibrated rows).
 *
 * Face-level answer: the calibrated whole-crop probability is kept as `probabilities`, and the
 * face is `detected` when it passes the model's threshold OR any region passes the manifest's
 * region threshold (`regions.threshold`, for tiles `regions.tile_threshold`, chosen on validation
 * data by training/region_threshold.py on the calibrated region values), so acne on one cheek is
 * not averaged away by four clear regions. No threshold adopted: `detected_regions` is null (the
 * regions decide nothing), with `region_threshold_reason`. Region values are clipped to
 * [0.005, 0.995] like the face's (calibration.ts).
 */
import { createMask, type Mask } from '../image.ts';
import { ACNE_REGIONS } from '../result/schema.ts';
import { PROB_MAX, PROB_MIN } from './calibration.ts';
import type { ModelEntry } from './manifest.ts';
import { maskWeights, tileSkinWeights, type RegionWeights } from './region-weights.ts';

/** Close-up tiles per side: 3 × 3 tiles of a 224 input are ~75 px (about 2⅓ cells of 32 px each). */
export const CLOSEUP_TILES = 3;

export interface RegionPlan {
  mode: 'face' | 'closeup';
  /** Row names: the regions, or `tile_<row>_<col>`. */
  names: string[];
  weights: RegionWeights;
  /** Rows with no pixel: not reported. */
  empty: boolean[];
}

export type RegionSource = { mode: 'face'; masks: Record<(typeof ACNE_REGIONS)[number], Mask> } | { mode: 'closeup'; skin: Mask };

/** The close-up's skin mask cut into tiles × tiles masks (row-major from the top left): tile ∩ skin (the definition; the engine uses region-weights.ts tileSkinWeights). */
export function tileMasks(skin: Mask, tiles = CLOSEUP_TILES): Mask[] {
  const { width, height } = skin;
  const out: Mask[] = [];
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      const m = createMask(width, height);
      const [x0, x1] = [Math.round((tx * width) / tiles), Math.round(((tx + 1) * width) / tiles)];
      const [y0, y1] = [Math.round((ty * height) / tiles), Math.round(((ty + 1) * height) / tiles)];
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m.data[y * width + x] = skin.data[y * width + x];
      out.push(m);
    }
  }
  return out;
}

/** The plan on a model's grid (memoised: heads sharing one file share the weights and the run). */
export function regionPlanner(source: RegionSource): (grid: number) => RegionPlan {
  const plans = new Map<number, RegionPlan>();
  return (grid) => {
    let plan = plans.get(grid);
    if (!plan) {
      if (source.mode === 'face') {
        const { weights, empty } = maskWeights(ACNE_REGIONS.map((r) => source.masks[r]), grid);
        plan = { mode: 'face', names: [...ACNE_REGIONS], weights, empty };
      } else {
        const names: string[] = [];
        for (let r = 0; r < CLOSEUP_TILES; r++) for (let c = 0; c < CLOSEUP_TILES; c++) names.push(`tile_${r}_${c}`);
        const { weights, empty } = tileSkinWeights(source.skin, CLOSEUP_TILES, grid);
        plan = { mode: 'closeup', names, weights, empty };
      }
      plans.set(grid, plan);
    }
    return plan;
  };
}

export interface AcneRegionFields {
  per_region: Record<(typeof ACNE_REGIONS)[number], number | null> | null;
  per_tile: (number | null)[][] | null;
  region_threshold: number | null;
  /** null: no region threshold was adopted (or no region values), so regions decide nothing. */
  detected_regions: string[] | null;
  regions_reason?: string;
  region_threshold_reason?: string;
}

type Platt = { a: number; b: number };

/** The Platt parameters of one row of the plan, or null when the manifest has none for it. */
function plattFor(entry: ModelEntry, plan: RegionPlan, name: string): Platt | null {
  const cal = entry.regions?.calibration;
  if (!cal) return null;
  return (plan.mode === 'face' ? cal.rows?.[name] : cal.tile) ?? null;
}

/** σ(a·z + b) of a row's logit difference z = logit(positive) − logit(negative), clipped to [PROB_MIN, PROB_MAX]. */
export function plattProbability(logits: ArrayLike<number>, { a, b }: Platt): number {
  const z = logits[1] - logits[0];
  const p = 1 / (1 + Math.exp(-(a * z + b)));
  return Math.min(PROB_MAX, Math.max(PROB_MIN, p));
}

/**
 * The result fields from the raw logit rows the model returned (null: it has no region input,
 * `reason` says why; no region calibration for the mode: null, and the reason says so).
 */
export function acneRegionFields(entry: ModelEntry, plan: RegionPlan | null, rows: Float32Array[] | null, reason?: string): AcneRegionFields {
  const none = (why: string): AcneRegionFields => ({
    per_region: null, per_tile: null, region_threshold: null, detected_regions: null, regions_reason: why, region_threshold_reason: why,
  });
  if (!plan || !rows) return none(reason ?? 'the model returned no region answers');
  const platt = plan.names.map((n) => plattFor(entry, plan, n));
  if (platt.some((c) => c === null)) {
    const refused = entry.regions?.calibration?.refused?.[plan.mode];
    return none(`${entry.name}@${entry.version} has no region calibration for ${plan.mode === 'face' ? 'face regions' : 'close-up tiles'}` +
      (refused ? `: ${refused}` : ' (uncalibrated region rows are not probabilities; training/region_threshold.py fits it on validation data)'));
  }
  const threshold = (plan.mode === 'closeup' ? entry.regions?.tile_threshold : entry.regions?.threshold) ?? null;
  const raw = rows.map((row, r) => (plan.empty[r] ? null : plattProbability(row, platt[r]!)));
  const detected = threshold === null ? null : plan.names.filter((_, r) => raw[r] !== null && raw[r] >= threshold);
  const thresholdReason = threshold === null
    ? { region_threshold_reason: 'no region threshold was adopted on validation data (it did not beat the face alone): regions inform, they do not decide' }
    : {};
  const p = raw.map((v) => (v === null ? null : round4(v)));
  if (plan.mode === 'face') {
    const per = Object.fromEntries(plan.names.map((n, r) => [n, p[r]])) as AcneRegionFields['per_region'];
    return { per_region: per, per_tile: null, region_threshold: threshold, detected_regions: detected, ...thresholdReason };
  }
  const tiles: (number | null)[][] = [];
  for (let r = 0; r < CLOSEUP_TILES; r++) tiles.push(p.slice(r * CLOSEUP_TILES, (r + 1) * CLOSEUP_TILES));
  return { per_region: null, per_tile: tiles, region_threshold: threshold, detected_regions: detected, ...thresholdReason };
}

/**
 * The face-level rule: acne when the face's probability passes its threshold OR a region passed
 * the region threshold (`detected_regions` non-empty; null: no threshold, regions decide nothing).
 * `confidence` is the probability behind the answer: no acne: the face's `no_acne`; acne: the
 * strongest region's when a region passed, else the face's.
 */
export function acneDecision(
  face: { acne: number; no_acne: number },
  faceThreshold: number,
  fields: AcneRegionFields,
): { detected: boolean; byRegion: boolean; confidence: number } {
  const faceAcne = face.acne;
  const byFace = faceAcne >= faceThreshold;
  const byRegion = (fields.detected_regions?.length ?? 0) > 0;
  const detected = byFace || byRegion;
  const regionValues = [...Object.values(fields.per_region ?? {}), ...(fields.per_tile ?? []).flat()].filter((v): v is number => v !== null);
  const strongest = Math.max(faceAcne, ...regionValues);
  return { detected, byRegion, confidence: detected ? (byRegion ? strongest : faceAcne) : face.no_acne };
}

const round4 = (v: number) => Math.round(v * 10000) / 10000;
