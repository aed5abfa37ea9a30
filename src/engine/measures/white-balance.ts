/**
 * White balance: estimate the light's colour from the face's surroundings and undo it before
 * any colour measure (tone, redness, dark circles) sees the pixels.
 *
 * Estimate: grey world (Buchsbaum 1980) over the non-skin pixels of the aligned face crop
 * (hair, brows, eyes, lips, clothes, background; near-clipped and near-black pixels left out).
 * Those surroundings are not grey on average: in correctly balanced portraits they average
 * to about SCENE_PRIOR_CCT (warm: hair, lips, skin-adjacent shadows; measured on the face
 * fixtures, median 4,580 K over 13 photos). So the correction maps the estimate to the prior
 * white rather than to D65: a correctly balanced photo is left almost unchanged and a shift of
 * the light moves the estimate with it, so it is undone (von Kries gains in linear sRGB,
 * luminance kept; illuminant.ts).
 * Trusted only when the estimate looks like a light source: CCT within CCT_RANGE and within
 * MAX_DUV of the Planckian locus (a saturated wall is not an illuminant), from at least 10 % of
 * the crop. Otherwise nothing is corrected and `reliable` is false.
 * The sclera was tried as a neutral reference and dropped: in the fixtures it is often darker
 * than the skin (shadowed by the lids) and its estimate spread over 2,970–5,350 K, mixed with lid skin.
 * Exposure is not corrected: nothing in an ordinary photo has a known lightness. A white-patch
 * gain (the crop's 97th-percentile luminance brought to 0.9) was tried: it undid a 15 % darker
 * exposure but clipped the skin of faces that are the brightest thing in the crop and pushed
 * every UTKFace group's ITA up by 15–25°, so it was dropped for the pixels. TOO_DARK / TOO_BRIGHT
 * flag exposure. What the tone does instead (a partial correction of its L*a*b* only, never of
 * the pixels) is exposureReference below and skin-tone.ts.
 * Cost: the pass that applies the gains also takes the balanced image's surround means and
 * exposure reference, which the colour-cast check and the skin tone then read (balance()).
 */
import type { Mask, RgbImage } from '../image.ts';
import type { WhiteBalance } from '../result/schema.ts';
import { linearToSrgb, SRGB_TO_LINEAR, SRGB_TO_XYZ } from './color.ts';
import { cctOf, planckRgb, vonKriesGains, type Rgb } from './illuminant.ts';
import { CLIP_LEVEL } from './robust.ts';
import { takeOrNew, type MeasureBuffers } from './context.ts';

export const SCENE_PRIOR_CCT = 4600;
export const CCT_RANGE = [2000, 12000] as const;
export const MAX_DUV = 0.02;
const GREY_MIN_FRACTION = 0.1;
/** sRGB code value from which a surrounding pixel is too bright to trust (≈ 15 % of linear light below clipping). */
const BRIGHT_LEVEL = 230;

export interface WhiteBalanceResult {
  image: RgbImage;
  report: WhiteBalance;
}

/** `buffers` (measures/index.ts) lends the balanced image's pixels: valid until the next measurement. */
export function whiteBalance(image: RgbImage, skin: Mask, buffers: MeasureBuffers | null = null): WhiteBalanceResult {
  const none = (cct: number | null): WhiteBalanceResult => ({
    image,
    report: { estimated_cct_k: cct, corrected: false, method: 'none', reliable: false, calibrated: false },
  });
  const white = greyWorld(image, skin);
  if (white === null) return none(null);
  const { cct, duv } = cctOf(white);
  const cctK = Math.round(cct / 10) * 10;
  if (!(cct >= CCT_RANGE[0] && cct <= CCT_RANGE[1] && Math.abs(duv) <= MAX_DUV)) return none(cctK);
  return {
    image: balance(image, skin, vonKriesGains(white, planckRgb(SCENE_PRIOR_CCT)), buffers),
    report: { estimated_cct_k: cctK, corrected: true, method: 'grey_world', reliable: true, calibrated: false },
  };
}

/**
 * Mean linear RGB of the non-skin pixels below `maxLevel` in every channel and not near-black
 * (every second pixel in x and y: a global mean needs no more), and the fraction of the
 * sampled pixels it covers. Shared by the white balance (below BRIGHT_LEVEL) and the
 * colour-cast check (below CLIP_LEVEL, cast.ts) on the same photo: one pass computes both
 * levels' means and keeps them per (image, skin), so the second asker reads them.
 */
export function surroundMean(image: RgbImage, skin: Mask, maxLevel: number): SurroundMean | null {
  if (maxLevel !== BRIGHT_LEVEL && maxLevel !== CLIP_LEVEL) return surroundMeans(image, skin, [maxLevel])[0];
  let bySkin = surroundCache.get(image);
  if (bySkin === undefined) surroundCache.set(image, (bySkin = new WeakMap()));
  let both = bySkin.get(skin);
  if (both === undefined) bySkin.set(skin, (both = surroundMeans(image, skin, [BRIGHT_LEVEL, CLIP_LEVEL])));
  return both[maxLevel === BRIGHT_LEVEL ? 0 : 1];
}

interface SurroundMean {
  rgb: Rgb;
  fraction: number;
}

const surroundCache = new WeakMap<RgbImage, WeakMap<Mask, (SurroundMean | null)[]>>();

/** surroundMean at several levels in one pass over the sampled pixels. */
function surroundMeans(image: RgbImage, skin: Mask, levels: readonly number[]): (SurroundMean | null)[] {
  const acc = new SurroundAcc(levels);
  for (let y = 0; y < image.height; y += 2) acc.row(image.data, skin.data, y, image.width);
  return acc.means();
}

/** The sums of surroundMeans, row by row (every second row and pixel), so a pass that makes the image can take them too. */
class SurroundAcc {
  private readonly acc: Float64Array;
  private readonly n: Float64Array;
  private total = 0;
  constructor(private readonly levels: readonly number[]) {
    this.acc = new Float64Array(3 * levels.length);
    this.n = new Float64Array(levels.length);
  }

  row(d: Uint8Array, skin: Uint8Array, y: number, w: number): void {
    const lin = SRGB_TO_LINEAR;
    const { levels, acc, n } = this;
    const L = levels.length;
    this.total += (w + 1) >> 1;
    for (let x = 0; x < w; x += 2) {
      const i = y * w + x;
      if (skin[i] !== 0) continue;
      const R = d[i * 3], G = d[i * 3 + 1], B = d[i * 3 + 2];
      if (R < 10 && G < 10 && B < 10) continue;
      const max = R > G ? (R > B ? R : B) : G > B ? G : B;
      for (let l = 0; l < L; l++) {
        if (max >= levels[l]) continue;
        acc[3 * l] += lin[R];
        acc[3 * l + 1] += lin[G];
        acc[3 * l + 2] += lin[B];
        n[l]++;
      }
    }
  }

  means(): (SurroundMean | null)[] {
    const { acc, n, total } = this;
    return this.levels.map((_, l) => (n[l] > 0 ? { rgb: [acc[3 * l] / n[l], acc[3 * l + 1] / n[l], acc[3 * l + 2] / n[l]] as const, fraction: n[l] / total } : null));
  }
}

/** The grey-world estimate, or null when too little of the crop is usable surroundings. */
function greyWorld(image: RgbImage, skin: Mask): Rgb | null {
  // Bright pixels are left out, not only clipped ones: a white background near clipping would
  // otherwise join or leave the estimate when the exposure changes by 15 %.
  const m = surroundMean(image, skin, BRIGHT_LEVEL);
  if (!m || m.fraction < GREY_MIN_FRACTION || Math.min(...m.rgb) <= 0) return null;
  return m.rgb;
}

/** Multiplies linear RGB by `gains` (clipped pixels are left as they are: they carry no colour). */
export function applyGains(image: RgbImage, gains: Rgb): RgbImage {
  const out = new Uint8Array(image.data.length);
  gainRows(image.data, out, gainLuts(gains), 0, image.data.length);
  return { width: image.width, height: image.height, data: out };
}

function gainLuts(gains: Rgb): [Uint8Array, Uint8Array, Uint8Array] {
  const lut = (gain: number) => {
    const t = new Uint8Array(256);
    for (let v = 0; v < 256; v++) t[v] = Math.max(0, Math.min(255, Math.round(linearToSrgb(SRGB_TO_LINEAR[v] * gain))));
    return t;
  };
  return [lut(gains[0]), lut(gains[1]), lut(gains[2])];
}

/** The gains over bytes [from, to) of `d` into `out` (the LUTs in locals: a third faster than indexing the array of them per pixel). */
function gainRows(d: Uint8Array, out: Uint8Array, luts: readonly [Uint8Array, Uint8Array, Uint8Array], from: number, to: number): void {
  const [l0, l1, l2] = luts;
  for (let j = from; j < to; j += 3) {
    const R = d[j], G = d[j + 1], B = d[j + 2];
    if (R >= CLIP_LEVEL || G >= CLIP_LEVEL || B >= CLIP_LEVEL) {
      out[j] = R;
      out[j + 1] = G;
      out[j + 2] = B;
      continue;
    }
    out[j] = l0[R];
    out[j + 1] = l1[G];
    out[j + 2] = l2[B];
  }
}

/**
 * applyGains for the measures: the balanced image's surround means (both levels, for the
 * colour-cast check) and exposure reference (for the skin tone) are taken from each row as it
 * is written, while it is in cache, and kept for surroundMean and exposureReference, so neither
 * reads the balanced image again. Same pixels, same order of sums: the same values.
 */
function balance(image: RgbImage, skin: Mask, gains: Rgb, buffers: MeasureBuffers | null): RgbImage {
  const { width: w, height: h, data: d } = image;
  // Every byte is written below: lent without zeroing.
  const out = takeOrNew(buffers, 'balanced', Uint8Array, d.length, false);
  const luts = gainLuts(gains);
  const surround = new SurroundAcc([BRIGHT_LEVEL, CLIP_LEVEL]);
  const exposure = new ExposureAcc();
  for (let y = 0; y < h; y++) {
    gainRows(d, out, luts, 3 * y * w, 3 * (y + 1) * w);
    if ((y & 1) === 0) surround.row(out, skin.data, y, w);
    exposure.add(out, y * w, (y + 1) * w);
  }
  const balanced = { width: w, height: h, data: out };
  surroundCache.set(balanced, new WeakMap([[skin, surround.means()]]));
  exposureCache.set(balanced, exposure.reference());
  return balanced;
}

/**
 * Exposure reference for the skin tone: the 90th percentile of linear luminance Y over the whole
 * aligned crop (every second pixel; clipped pixels kept in the ranking, so they only stop the
 * reference from following the light when more than a tenth of the crop is blown out).
 * A change of exposure by a factor k multiplies every unclipped Y, so the reference too: it
 * is the crop's own "bright" level (the white-patch / bright-pixels cue of colour constancy,
 * e.g. Land & McCann 1971 retinex, used for level only), chosen over the non-skin median, the
 * whole-crop median and 75th percentile on the validation half of the UTKFace portraits
 * (npm run validity; skin-tone.ts gives the figures). Null for an empty image.
 */
export function exposureReference(image: RgbImage): number | null {
  const known = exposureCache.get(image);
  if (known !== undefined) return known;
  const acc = new ExposureAcc();
  acc.add(image.data, 0, image.width * image.height);
  return acc.reference();
}

/** exposureReference of the images balance() made, taken in its pass. */
const exposureCache = new WeakMap<RgbImage, number | null>();

/** The histogram of exposureReference: every pixel of even raster index, added by ranges of pixels. */
class ExposureAcc {
  private readonly hist = new Uint32Array(EXPOSURE_BINS);
  private n = 0;

  add(d: Uint8Array, from: number, to: number): void {
    const hist = this.hist;
    const lin = SRGB_TO_LINEAR;
    const [, , , mr, mg, mb] = SRGB_TO_XYZ;
    const first = from + (from & 1);
    for (let i = first; i < to; i += 2) {
      const Y = mr * lin[d[3 * i]] + mg * lin[d[3 * i + 1]] + mb * lin[d[3 * i + 2]];
      hist[Math.min(EXPOSURE_BINS - 1, (Y * EXPOSURE_BINS) | 0)]++;
    }
    if (to > first) this.n += (to - first + 1) >> 1;
  }

  reference(): number | null {
    const { hist, n } = this;
    if (n === 0) return null;
    const target = 0.9 * n;
    let acc = 0;
    for (let k = 0; k < EXPOSURE_BINS; k++) {
      if (acc + hist[k] >= target && hist[k] > 0) return (k + (target - acc) / hist[k]) / EXPOSURE_BINS;
      acc += hist[k];
    }
    return 1;
  }
}

const EXPOSURE_BINS = 1024;
