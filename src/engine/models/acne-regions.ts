/**
 * Acne per face region, from the one forward of the face crop (region-weights.ts):
 * - face mode: one row per landmark-defined skin region (forehead, both cheeks, nose, chin: the
 *   polygons of region/skin-regions.ts on the measure crop, AND its skin mask, which is the crop
 *   the model sees resized), so each answer reads the feature cells under that region's skin;
 * - close-up mode: the same crop cut into CLOSEUP_TILES × CLOSEUP_TILES tiles (no landmarks).
 *
 * Face-level answer: the calibrated whole-crop probability is kept as `probabilities`, and the
 * face is `detected` when it passes the model's threshold OR any region passes the manifest's
 * region threshold (`regions.threshold`, for tiles `regions.tile_threshold`, chosen on validation
 * data by training/region_threshold.py),
 * so acne on one cheek is not averaged away by four clear regions. Every region probability is
 * calibrated with the task's temperature and clipped to [0.005, 0.995] like the face's.
 */
import type { Mask } from '../image.ts';
import { ACNE_REGIONS } from '../result/schema.ts';
import { clipProbabilities } from './calibration.ts';
import type { ModelEntry } from './manifest.ts';
import { maskWeights, tileWeights, type RegionWeights } from './region-weights.ts';

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

export type RegionSource = { mode: 'face'; masks: Record<(typeof ACNE_REGIONS)[number], Mask> } | { mode: 'closeup' };

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
        plan = { mode: 'closeup', names, weights: tileWeights(CLOSEUP_TILES, grid), empty: names.map(() => false) };
      }
      plans.set(grid, plan);
    }
    return plan;
  };
}

export interface AcneRegionFields {
  per_region: Record<(typeof ACNE_REGIONS)[number], number | null> | null;
  per_tile: number[][] | null;
  region_threshold: number | null;
  detected_regions: string[];
  regions_reason?: string;
}

/** The result fields from the rows the model returned (null: it has no region input, `reason` says why). */
export function acneRegionFields(entry: ModelEntry, plan: RegionPlan | null, rows: Float32Array[] | null, reason?: string): AcneRegionFields {
  const threshold = (plan?.mode === 'closeup' ? entry.regions?.tile_threshold : entry.regions?.threshold) ?? null;
  if (!plan || !rows) {
    return { per_region: null, per_tile: null, region_threshold: null, detected_regions: [], regions_reason: reason ?? 'the model returned no region answers' };
  }
  const raw = rows.map((row, r) => (plan.empty[r] ? null : clipProbabilities(row)[1]));
  const detected = threshold === null ? [] : plan.names.filter((_, r) => raw[r] !== null && raw[r] >= threshold);
  const p = raw.map((v) => (v === null ? null : round4(v)));
  if (plan.mode === 'face') {
    const per = Object.fromEntries(plan.names.map((n, r) => [n, p[r]])) as AcneRegionFields['per_region'];
    return { per_region: per, per_tile: null, region_threshold: threshold, detected_regions: detected };
  }
  const tiles: number[][] = [];
  for (let r = 0; r < CLOSEUP_TILES; r++) tiles.push(p.slice(r * CLOSEUP_TILES, (r + 1) * CLOSEUP_TILES) as number[]);
  return { per_region: null, per_tile: tiles, region_threshold: threshold, detected_regions: detected };
}

const round4 = (v: number) => Math.round(v * 10000) / 10000;
