/**
 * White-balance (colour cast) check, shared by skin tone (`reliable`/`warnings`) and quality
 * (COLOR_CAST). Two independent cues:
 * 1. Skin hue angle h_ab = atan2(b*, a*) of the robust skin colour. Human skin of every
 *    tone lies in a narrow hue band (roughly 30–75°, e.g. Xiao et al. 2017, "Characterising
 *    the variations in ethnic skin colours", Color Res. Appl.; the ten Monk swatches span
 *    49–89°). Outside 15–95° the picture is almost certainly tinted (blue cast → low hue,
 *    green cast → hue past 90°).
 * 2. Grey world (Buchsbaum 1980): the mean linear RGB of the non-skin pixels of the crop
 *    (hair, background, clothes; clipped and near-black pixels left out) should be roughly
 *    neutral. A mean chroma C*ab above 20 signals a strong cast (a saturated wall can trip it,
 *    so it only counts when enough non-skin pixels exist).
 */
import { D65, type Lab } from './color.ts';
import { surroundMean } from './white-balance.ts';
import { cached, type MeasureContext } from './context.ts';
import { CLIP_LEVEL, skinRobustLab } from './robust.ts';

export const SKIN_HUE_RANGE_DEG = [15, 95] as const;
export const GREY_WORLD_MAX_CHROMA = 20;
/** Grey world is only consulted when at least this fraction of the crop is non-skin. */
export const GREY_WORLD_MIN_FRACTION = 0.1;

export interface CastEstimate {
  cast: boolean;
  skinHueDeg: number | null;
  greyWorldChroma: number | null;
  /** Human-readable causes, empty when no cast. */
  reasons: string[];
}

export function skinHueDeg(lab: Lab): number {
  return (Math.atan2(lab.b, lab.a) * 180) / Math.PI;
}

/** The cast estimate for the context's skin, computed once per context. */
export function estimateColorCast(ctx: MeasureContext): CastEstimate {
  return cached(ctx, 'colorCast', () => castFrom(ctx, skinRobustLab(ctx)));
}

function castFrom(ctx: MeasureContext, skinLab: Lab | null): CastEstimate {
  const reasons: string[] = [];
  let hue: number | null = null;
  if (skinLab !== null) {
    hue = skinHueDeg(skinLab);
    if (hue < SKIN_HUE_RANGE_DEG[0] || hue > SKIN_HUE_RANGE_DEG[1]) {
      reasons.push(`skin hue angle ${hue.toFixed(0)}° is outside the plausible skin range ${SKIN_HUE_RANGE_DEG[0]}–${SKIN_HUE_RANGE_DEG[1]}°`);
    }
  }
  let chroma: number | null = null;
  // Over the whole source crop (not just the ROI).
  const surround = surroundMean(ctx.source.image, ctx.source.skin, CLIP_LEVEL);
  if (surround && surround.fraction >= GREY_WORLD_MIN_FRACTION) {
    const [r, g, b] = surround.rgb;
    // Mean linear RGB → Lab via XYZ (same matrices as color.ts, inlined to avoid re-encoding).
    const X = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / D65.X;
    const Y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
    const Z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / D65.Z;
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
    const A = 500 * (f(X) - f(Y));
    const Bb = 200 * (f(Y) - f(Z));
    chroma = Math.hypot(A, Bb);
    if (chroma > GREY_WORLD_MAX_CHROMA) {
      reasons.push(`the non-skin parts of the picture average to a strong tint (chroma ${chroma.toFixed(0)})`);
    }
  }
  return { cast: reasons.length > 0, skinHueDeg: hue, greyWorldChroma: chroma, reasons };
}
