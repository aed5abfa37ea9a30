/**
 * A result as JSON text, written where it was made. An engine pool's worker thread calls this
 * before it answers, so that its caller's thread receives a few strings (copied as they are)
 * instead of the result object (structured clone: every field serialised on one thread and
 * rebuilt on the other) which it would then turn into the same text itself.
 *
 * Without its geometry: the face mesh (468 points) and the region polygons are biometric detail
 * that a stored result need not keep (the service's SKINSIGHT_STORE_LANDMARKS, its geometry.ts);
 * they are left as empty arrays (still schema-valid) and given apart as JSON text.
 */
import type { AnalysisWithShadow, ShadowPrediction } from '../api.ts';
import type { AnalysisResult } from './schema.ts';

export interface ResultTextOptions {
  /** Also write the result without its geometry, and the geometry alone (splitGeometryOf). */
  withoutGeometry?: boolean;
}

/** One analysis as text, with the few fields a caller reads without parsing (metrics). */
export interface AnalysisText {
  /** JSON.stringify of the result; the shadow predictions are not in it. */
  resultJson: string;
  /** With `withoutGeometry`: what splitGeometryOf gives for the result. */
  withoutGeometry?: { resultJson: string; geometryJson: string | null };
  /** The shadow predictions as JSON text; null when there are none. */
  shadowJson: string | null;
  timings_ms: AnalysisResult['timings_ms'];
  models: AnalysisResult['models'];
  /** Which candidate versions ran in shadow (their predictions are in shadowJson). */
  shadowModels: Pick<ShadowPrediction, 'task' | 'name' | 'version'>[];
}

interface Geometry {
  landmarks: unknown[] | null;
  polygons: Record<string, unknown[]>;
}

type ResultLike = { face?: { landmarks?: unknown[] } | null; regions?: Record<string, { polygon?: unknown[] }> };

/**
 * The result without its geometry, and the geometry alone (both JSON text), from the object
 * itself: no JSON.parse round trip. The object is left as it was (its geometry is put back
 * after the text is written), so the text equals that of the parsed JSON.stringify(result).
 */
export function splitGeometryOf(result: object): { resultJson: string; geometryJson: string | null } {
  const r = result as ResultLike;
  const geometry: Geometry = { landmarks: r.face?.landmarks ?? null, polygons: {} };
  const regions = Object.entries(r.regions ?? {}).filter(([, region]) => region.polygon);
  if (r.face?.landmarks) r.face.landmarks = [];
  for (const [name, region] of regions) {
    geometry.polygons[name] = region.polygon!;
    region.polygon = [];
  }
  try {
    const empty = geometry.landmarks === null && regions.length === 0;
    return { resultJson: JSON.stringify(r), geometryJson: empty ? null : JSON.stringify(geometry) };
  } finally {
    if (r.face && geometry.landmarks) r.face.landmarks = geometry.landmarks;
    for (const [name, region] of regions) region.polygon = geometry.polygons[name];
  }
}

/** The text of one analysis (its shadow predictions apart, as the service stores them). */
export function resultText(analysis: AnalysisWithShadow, options: ResultTextOptions = {}): AnalysisText {
  const { shadow, ...result } = analysis;
  return {
    resultJson: JSON.stringify(result),
    ...(options.withoutGeometry ? { withoutGeometry: splitGeometryOf(result) } : {}),
    shadowJson: shadow && shadow.length > 0 ? JSON.stringify(shadow) : null,
    timings_ms: result.timings_ms,
    models: result.models,
    shadowModels: (shadow ?? []).map(({ task, name, version }) => ({ task, name, version })),
  };
}
