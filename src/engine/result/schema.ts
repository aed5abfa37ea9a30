/**
 * The one result schema of skinsight. It keeps the seed design's field names
 * (`ml_analysis.{acne_analysis, condition_analysis, ml_models_used}`,
 * `cv_analysis.{skin_tone, skin_type, texture_quality, wrinkles, dark_circles}`,
 * `confidence`, `generated_at`) and adds what a client needs to trust and draw it.
 * The same zod schema validates results in tests and is exported as JSON Schema.
 */
import { z } from 'zod';
import { MODEL_SPEC } from '../models/spec.ts';

export const RESULT_SCHEMA_VERSION = '1.0.0';

export const DISCLAIMER =
  'Cosmetic estimate from a single photo, not a medical diagnosis. ' +
  'Consult a dermatologist about any skin concern.';

const unit = z.number().min(0).max(1);

/** A part of the result that could not be produced, and why. Never replaced by a made-up value. */
export const Unavailable = z.object({
  available: z.literal(false),
  reason: z.string(),
});
export type Unavailable = z.infer<typeof Unavailable>;

const ACNE_CLASSES = MODEL_SPEC.tasks.acne_binary.classes;
/** The skin regions the acne model answers for (src/engine/region/patches.ts PATCH_REGIONS). */
export const ACNE_REGIONS = ['forehead', 'left_cheek', 'right_cheek', 'nose', 'chin'] as const;
const ModelRef = z.object({ name: z.string(), version: z.string() });

export const AcneAnalysis = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    detected: z.boolean(),
    confidence: unit,
    label: z.enum(ACNE_CLASSES),
    probabilities: z.object(Object.fromEntries(ACNE_CLASSES.map((c) => [c, unit])) as Record<(typeof ACNE_CLASSES)[number], typeof unit>),
    threshold: unit,
    /**
     * Per landmark-defined skin region (face mode), pooled from the same forward
     * (src/engine/models/acne-regions.ts): the probability that the FACE shows acne, judged from
     * this region alone (the heads learned from whole-face labels; Platt-calibrated per region on
     * validation data with image-level labels). Not a diagnosis of that region. A region with no
     * visible skin is null. Null for a close-up, or with `regions_reason` when the model has no
     * region input or no region calibration. The region fields are optional only so that results
     * stored before them still read; the engine always writes them.
     */
    per_region: z.object(Object.fromEntries(ACNE_REGIONS.map((r) => [r, unit.nullable()])) as Record<(typeof ACNE_REGIONS)[number], z.ZodNullable<typeof unit>>).nullable().optional(),
    /**
     * Close-up mode: the same per tile of a CLOSEUP_TILES × CLOSEUP_TILES grid of the crop, rows
     * from the top, each tile read on its skin pixels only (null: no skin in that tile). Null in face mode.
     */
    per_tile: z.array(z.array(unit.nullable())).nullable().optional(),
    /** A region (or tile) at or above it is detected, and so is the face (chosen on validation data: see the model card). Null: none adopted. */
    region_threshold: unit.nullable().optional(),
    /**
     * Regions (face) or tiles (`tile_<row>_<col>`, close-up) at or above `region_threshold`.
     * Null (not []) when no threshold was adopted or there are no region values: regions decided nothing.
     */
    detected_regions: z.array(z.string()).nullable().optional(),
    /** Why `per_region` / `per_tile` are null when they could have been given. */
    regions_reason: z.string().optional(),
    /** Why `region_threshold` and `detected_regions` are null. */
    region_threshold_reason: z.string().optional(),
    /** False when image quality is below the documented level (src/engine/models/calibration.ts). */
    reliable: z.boolean(),
    model: ModelRef,
  }),
  Unavailable,
]);
export type AcneAnalysis = z.infer<typeof AcneAnalysis>;

export const CONDITIONS = MODEL_SPEC.tasks.skin_condition.classes;
export const ConditionAnalysis = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    condition: z.enum(CONDITIONS),
    confidence: unit,
    probabilities: z.object(Object.fromEntries(CONDITIONS.map((c) => [c, unit])) as Record<(typeof CONDITIONS)[number], typeof unit>),
    /** False when image quality is below the documented level (src/engine/models/calibration.ts). */
    reliable: z.boolean(),
    model: ModelRef,
  }),
  Unavailable,
]);
export type ConditionAnalysis = z.infer<typeof ConditionAnalysis>;

export const REGION_NAMES = [
  'forehead',
  'left_cheek',
  'right_cheek',
  'nose',
  'chin',
  'under_eye_left',
  'under_eye_right',
] as const;
const perRegion = <T extends z.ZodTypeAny>(t: T) =>
  z.object(Object.fromEntries(REGION_NAMES.map((r) => [r, t])) as Record<(typeof REGION_NAMES)[number], T>);

export const ITA_CATEGORIES = ['very_light', 'light', 'intermediate', 'tan', 'brown', 'dark'] as const;
export const SkinTone = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** Individual Typology Angle in degrees: atan((L*−50)/b*)·180/π. */
    ita_deg: z.number(),
    category: z.enum(ITA_CATEGORIES),
    /** Nearest Monk Skin Tone swatch, 1 (lightest) to 10 (darkest). */
    monk_tone: z.number().int().min(1).max(10),
    monk_hex: z.string(),
    /** Fitzpatrick phototype estimated from ITA (not a substitute for the questionnaire). */
    fitzpatrick: z.enum(['I', 'II', 'III', 'IV', 'V', 'VI']),
    lab: z.object({ L: z.number(), a: z.number(), b: z.number() }),
    hex: z.string(),
    per_region: perRegion(z.number().nullable()),
    reliable: z.boolean(),
    warnings: z.array(z.string()),
  }),
  Unavailable,
]);
export type SkinTone = z.infer<typeof SkinTone>;

export const SkinType = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    type: z.enum(['oily', 'dry', 'normal', 'combination']),
    confidence: unit,
    /** Fraction of specular (shine) pixels in the T-zone and on the cheeks. */
    shine: z.object({ t_zone: unit, cheeks: unit }),
    /** Texture roughness used for the dry call (0 smooth … 1 rough). */
    roughness: unit,
    rule: z.string(),
  }),
  Unavailable,
]);
export type SkinType = z.infer<typeof SkinType>;

const WrinkleScore = z.object({ detected: z.boolean(), density: unit });
export const Wrinkles = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    detected: z.boolean(),
    density: unit,
    /** null: the zone is missing or too small to measure. */
    per_region: z.object({
      forehead: WrinkleScore.nullable(),
      crows_feet: WrinkleScore.nullable(),
      under_eye: WrinkleScore.nullable(),
      nasolabial: WrinkleScore.nullable(),
    }),
  }),
  Unavailable,
]);
export type Wrinkles = z.infer<typeof Wrinkles>;

const EyeDelta = z.object({ delta_L: z.number(), delta_E: z.number() });
export const DarkCircles = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    detected: z.boolean(),
    severity: unit,
    /** Cheek L* minus under-eye L* (positive: under-eye darker), averaged over both eyes. */
    delta_L: z.number(),
    /** CIE76 colour difference between under-eye and cheek skin. */
    delta_E: z.number(),
    /** null: that side's under-eye or cheek region is missing or too small (e.g. a turned face). */
    per_side: z.object({ left: EyeDelta.nullable(), right: EyeDelta.nullable() }),
  }),
  Unavailable,
]);
export type DarkCircles = z.infer<typeof DarkCircles>;

const RednessScore = z.object({ score: unit, mean_a: z.number() });
export const Redness = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    score: unit,
    mean_a: z.number(),
    per_region: perRegion(RednessScore.nullable()),
  }),
  Unavailable,
]);
export type Redness = z.infer<typeof Redness>;

export const TextureQuality = z.union([unit, z.null()]);

/** Blotchiness of skin lightness at the 2.5–10 mm scale (spots, patches): measures/evenness.ts. */
export const Evenness = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** 0..1, 1 = even. */
    quality: unit,
    /** RMS band-pass energy of L* in that band. */
    energy: z.number().min(0),
  }),
  Unavailable,
]);
export type Evenness = z.infer<typeof Evenness>;

/** How the photo's light was estimated and undone before the colour measures (measures/white-balance.ts). */
export const WhiteBalance = z.object({
  /** Correlated colour temperature of the estimated illuminant; null when no estimate was possible. */
  estimated_cct_k: z.number().nullable(),
  /** Whether the colour measures saw corrected pixels. */
  corrected: z.boolean(),
  method: z.enum(['grey_world', 'none']),
  /** False when no correction could be trusted: tone and redness then depend on the light. */
  reliable: z.boolean(),
  /** A grey or colour card was found and used (not yet detected: always false). */
  calibrated: z.boolean(),
});
export type WhiteBalance = z.infer<typeof WhiteBalance>;

/** The six bands shared by every 0–100 score (scores/bands.ts holds the edges). */
export const SCORE_BANDS = ['excellent', 'great', 'good', 'average', 'poor', 'bad'] as const;
export const Score = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** 0–100, higher means healthier-looking skin. */
    value: z.number().int().min(0).max(100),
    band: z.enum(SCORE_BANDS),
    /** False when this photo's quality undermines the inputs (blur, light, pose). */
    reliable: z.boolean(),
    /** ± points, 95 % half-width from the measured test–retest SD (npm run repeatability); null: not measured. */
    uncertainty: z.number().min(0).nullable(),
    basis: z.object({
      /** The raw result fields the score comes from. */
      measures: z.array(z.string()),
      /** The mapping from raw value to score, in words. */
      mapping: z.string(),
    }),
  }),
  Unavailable,
]);
export type Score = z.infer<typeof Score>;

export const SCORE_NAMES = [
  'acne', 'redness', 'wrinkles', 'wrinkles_forehead', 'wrinkles_crows_feet', 'wrinkles_under_eye',
  'wrinkles_nasolabial', 'texture', 'dark_circles', 'evenness', 'oiliness',
] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];
export const Scores = z.object(Object.fromEntries(SCORE_NAMES.map((n) => [n, Score])) as Record<ScoreName, typeof Score>);
export type Scores = z.infer<typeof Scores>;

/** The scores that make up the overall score and can stand out as concerns (the zones are parts of wrinkles). */
export const CONCERNS = ['acne', 'redness', 'wrinkles', 'texture', 'dark_circles', 'evenness', 'oiliness'] as const;
export type Concern = (typeof CONCERNS)[number];

export const Summary = z.object({
  overall: Score,
  /** The two or three lowest concern scores below "good", lowest first, in plain words. */
  concerns: z.array(z.object({
    score: z.enum(CONCERNS),
    value: z.number().int().min(0).max(100),
    band: z.enum(SCORE_BANDS),
    text: z.string(),
  })),
  /** The condition model's probability for rosacea, eczema or pigmentation passed the documented level, on a photo of reliable quality. */
  see_a_professional: z.boolean(),
  /** Why (or why not), in plain words. */
  professional_note: z.string(),
});
export type Summary = z.infer<typeof Summary>;

export const QUALITY_ISSUES = [
  'BLURRED',
  'TOO_DARK',
  'TOO_BRIGHT',
  'FACE_TOO_SMALL',
  'FACE_TURNED',
  'COLOR_CAST',
  'SKIN_NOT_FOUND',
] as const;
export const QualityIssue = z.object({
  code: z.enum(QUALITY_ISSUES),
  message: z.string(),
  advice: z.string(),
});
export type QualityIssue = z.infer<typeof QualityIssue>;

export const Pose = z.object({ yaw: z.number(), pitch: z.number(), roll: z.number() });
export type Pose = z.infer<typeof Pose>;

export const Quality = z.object({
  passed: z.boolean(),
  issues: z.array(QualityIssue),
  /** Variance of the Laplacian over skin pixels, normalised to 0..1. */
  sharpness: unit,
  exposure: z.object({
    mean_L: z.number(),
    dark_fraction: unit,
    bright_fraction: unit,
  }),
  face_size_px: z.number().nullable(),
  pose: Pose.nullable(),
});
export type Quality = z.infer<typeof Quality>;

const Box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });

export const Face = z.object({
  /** Largest face's box in image pixels (after EXIF orientation). */
  box: Box,
  /** 468 landmarks [x, y, z], x and y normalised to the image (0..1), z in the same scale as x. */
  landmarks: z.array(z.tuple([z.number(), z.number(), z.number()])),
  detection_confidence: unit,
  mesh_confidence: unit,
  faces_detected: z.number().int().min(0),
  pose: Pose,
});
export type Face = z.infer<typeof Face>;

export const Region = z.object({
  /** Polygon in normalised image coordinates, for drawing. */
  polygon: z.array(z.tuple([z.number(), z.number()])),
  /** Skin pixels in the region at analysis resolution. */
  area_px: z.number().int().min(0),
});

export const AnalysisResult = z.object({
  schema_version: z.literal(RESULT_SCHEMA_VERSION),
  mode: z.enum(['face', 'closeup']),
  image: z.object({ width: z.number().int(), height: z.number().int(), format: z.string() }),
  ml_analysis: z.object({
    acne_analysis: AcneAnalysis,
    condition_analysis: ConditionAnalysis,
    ml_models_used: z.array(z.string()),
  }),
  cv_analysis: z.object({
    skin_tone: SkinTone,
    skin_type: SkinType,
    texture_quality: TextureQuality,
    wrinkles: Wrinkles,
    dark_circles: DarkCircles,
    redness: Redness,
    evenness: Evenness,
    white_balance: WhiteBalance,
  }),
  /** 0–100 per concern, higher = healthier-looking (scores/). */
  scores: Scores,
  summary: Summary,
  face: Face.nullable(),
  regions: z.record(z.string(), Region),
  quality: Quality,
  /** 0..1: how far the whole result can be trusted, lowered by every quality issue. */
  confidence: unit,
  models: z.array(z.object({ name: z.string(), version: z.string(), task: z.string(), sha256: z.string() })),
  timings_ms: z.record(z.string(), z.number()),
  generated_at: z.string(),
  disclaimer: z.string(),
});
export type AnalysisResult = z.infer<typeof AnalysisResult>;

/** The result schema as JSON Schema (draft 2020-12), for clients and the OpenAPI document. */
export function resultJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AnalysisResult, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
