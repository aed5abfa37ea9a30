/**
 * Region pooling weights for models with a `region_weights` input (training/backbone/net.py):
 * w[r, g] = the share of region r's area that falls in cell g of the model's last feature map
 * (each row sums to 1), so the model's f_r = Σ_g w[r, g] · F_g is the area-weighted mean of the
 * feature map over the region: class-activation-style pooling (Zhou et al. 2016, "Learning Deep
 * Features for Discriminative Localization", where the global average pool is the uniform row).
 *
 * Geometry: the whole crop is resized to the model's square input, so on a G×G grid cell (i, j)
 * covers crop pixels [j·S/G, (j+1)·S/G) × [i·S/G, (i+1)·S/G) for a crop of side S, whatever the
 * input size (224 → 7×7 cells of 32 px for MobileNetV2's stride 32; the engine reads G from the model).
 */
import type { Mask } from '../image.ts';
import { firstSetInRow, lastSetInRow, wordView } from '../region/raster.ts';

/** `rows` regions × `cells` (G²) weights, row-major. */
export interface RegionWeights {
  rows: number;
  cells: number;
  data: Float32Array;
}

/**
 * Mask pixels are counted on every MASK_STEP-th row and column (the centre of each 2×2 block):
 * a cell is ~55 crop pixels wide at 384/7. On obama-1080p.jpg the weights move by at most 0.014
 * and the region probabilities by at most 0.01 against every pixel, for 0.50 ms instead of 5.6 ms
 * (5 regions, medians of 400 interleaved calls on the loaded 2-core dev machine, 2026-12-01);
 * reading each sampled row only between its first and last set pixel then halved that, 0.33 → 0.17 ms
 * (obama-1080p, 12×12 grid, 300 alternated calls, load 6; bench/README.md, "Models stage").
 */
export const MASK_STEP = 2;

/**
 * One row per mask (a landmark-defined skin region on the model's crop). A region with no pixel
 * (e.g. hidden by a turned head) gets an all-zero row and `empty[r]`: its answer is not reported.
 */
export function maskWeights(masks: Mask[], grid: number, step = MASK_STEP): { weights: RegionWeights; empty: boolean[] } {
  const cells = grid * grid;
  const data = new Float32Array(masks.length * cells);
  const empty: boolean[] = [];
  const counts = new Float64Array(cells);
  for (let r = 0; r < masks.length; r++) {
    counts.fill(0);
    const total = countCells(masks[r], grid, step, counts);
    empty.push(total === 0);
    if (total > 0) for (let g = 0; g < cells; g++) data[r * cells + g] = counts[g] / total;
  }
  return { weights: { rows: masks.length, cells, data }, empty };
}

/**
 * Adds the mask's sampled pixels to their cells' counts; returns how many there were. A function
 * of its own, not a closure made per call: in the pipeline (one call per analysis) a fresh
 * closure's loop kept running in the unoptimised tiers, boxing every count (≈ 250 KB of garbage per
 * analysis in a heap-sampling profile after 80 analyses; bench/README.md, "Models stage").
 */
function countCells(mask: Mask, grid: number, step: number, counts: Float64Array): number {
  const { width, height, data } = mask;
  const cellX = new Int32Array(width);
  for (let x = 0; x < width; x++) cellX[x] = Math.min(grid - 1, Math.floor((x * grid) / width));
  let total = 0;
  // Each sampled row is read only between its first and last set pixel (empty words skipped:
  // a region covers a few % of the crop); the counts are the same as over the whole row.
  const half = step >> 1;
  const words = wordView(data, width, height);
  for (let y = half; y < height; y += step) {
    const off = y * width;
    const a = firstSetInRow(data, words, off, width);
    if (a === width) continue;
    const b = lastSetInRow(data, off, width);
    const row = Math.min(grid - 1, Math.floor((y * grid) / height)) * grid;
    // the first sampled column (x ≡ half mod step) at or after a
    for (let x = a + ((((half - a) % step) + step) % step); x <= b; x += step) {
      if (data[off + x]) {
        counts[row + cellX[x]]++;
        total++;
      }
    }
  }
  return total;
}

/**
 * Close-up mode: the crop cut into tiles × tiles equal squares (row-major from the top left),
 * each row weighting a cell by the share of the tile's area it covers (cells and tiles need not
 * align: 3 tiles on a 7-cell grid cover 2⅓ cells each).
 */
export function tileWeights(tiles: number, grid: number): RegionWeights {
  const cells = grid * grid;
  const data = new Float32Array(tiles * tiles * cells);
  // overlap[t][g]: length of tile t ∩ cell g on [0, 1], divided by the tile's length
  const overlap = (t: number, g: number) => Math.max(0, Math.min((t + 1) / tiles, (g + 1) / grid) - Math.max(t / tiles, g / grid)) * tiles;
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      const r = ty * tiles + tx;
      for (let gy = 0; gy < grid; gy++) {
        for (let gx = 0; gx < grid; gx++) data[r * cells + gy * grid + gx] = overlap(ty, gy) * overlap(tx, gx);
      }
    }
  }
  return { rows: tiles * tiles, cells, data };
}

/** The global average pool as one row (1/G each): the model's whole-crop features. */
export function uniformWeights(cells: number): RegionWeights {
  return { rows: 1, cells, data: new Float32Array(cells).fill(1 / cells) };
}

/**
 * Close-up tiles on their skin pixels: the same as maskWeights(tile ∩ skin masks) (acne-regions.ts
 * tileMasks, the definition the test compares with), in one pass over the skin mask without
 * building 9 masks (1.3 ms -> a few tenths at 384², medians of interleaved calls).
 */
export function tileSkinWeights(skin: Mask, tiles: number, grid: number, step = MASK_STEP): { weights: RegionWeights; empty: boolean[] } {
  const { width, height } = skin;
  const cells = grid * grid;
  const rows = tiles * tiles;
  // a pixel's tile: x in [round(t·W/tiles), round((t+1)·W/tiles)), as tileMasks cuts them
  const edge = (n: number) => Array.from({ length: tiles + 1 }, (_, t) => Math.round((t * n) / tiles));
  const [ex, ey] = [edge(width), edge(height)];
  const tileX = new Int32Array(width);
  const cellX = new Int32Array(width);
  for (let x = 0, t = 0; x < width; x++) {
    while (x >= ex[t + 1]) t++;
    tileX[x] = t;
    cellX[x] = Math.min(grid - 1, Math.floor((x * grid) / width));
  }
  const counts = new Float64Array(rows * cells);
  const totals = new Float64Array(rows);
  for (let y = step >> 1, ty = 0; y < height; y += step) {
    while (y >= ey[ty + 1]) ty++;
    const row = Math.min(grid - 1, Math.floor((y * grid) / height)) * grid;
    const off = y * width;
    for (let x = step >> 1; x < width; x += step) {
      if (skin.data[off + x]) {
        const r = ty * tiles + tileX[x];
        counts[r * cells + row + cellX[x]]++;
        totals[r]++;
      }
    }
  }
  const data = new Float32Array(rows * cells);
  for (let r = 0; r < rows; r++) if (totals[r] > 0) for (let g = 0; g < cells; g++) data[r * cells + g] = counts[r * cells + g] / totals[r];
  return { weights: { rows, cells, data }, empty: Array.from(totals, (t) => t === 0) };
}
