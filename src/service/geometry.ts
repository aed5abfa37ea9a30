/**
 * SKINSIGHT_STORE_LANDMARKS=false (the default): the face mesh (468 points) and the region
 * polygons are biometric detail the stored result does not need. The stored result keeps empty
 * arrays in their place (still schema-valid); the geometry goes to `scans.geometry_json`, which
 * the retention job clears GEOMETRY_KEEP_MS after completion, so the owner's result page can
 * draw the overlay right after the scan and nothing outlives that hour.
 */
import { splitGeometryOf } from '../engine/api.ts';

export const GEOMETRY_KEEP_MS = 60 * 60_000;

interface Geometry {
  landmarks: unknown[] | null;
  polygons: Record<string, unknown[]>;
}

type ResultLike = { face?: { landmarks?: unknown[] } | null; regions?: Record<string, { polygon?: unknown[] }> };

/** The result without its geometry, and the geometry alone (both JSON text). */
export function splitGeometry(resultJson: string): { resultJson: string; geometryJson: string | null } {
  return splitGeometryOf(JSON.parse(resultJson) as ResultLike);
}

// The split from the result object itself (no JSON.parse) is the engine's (result/text.ts): an
// engine pool's thread writes it there, beside the full text.
export { splitGeometryOf };

/** The stored result with its geometry put back (while it is still kept). */
export function joinGeometry(resultJson: string, geometryJson: string | null): string {
  if (!geometryJson) return resultJson;
  const r = JSON.parse(resultJson) as ResultLike;
  const g = JSON.parse(geometryJson) as Geometry;
  if (r.face && g.landmarks) r.face.landmarks = g.landmarks;
  for (const [name, polygon] of Object.entries(g.polygons)) if (r.regions?.[name]) r.regions[name].polygon = polygon;
  return JSON.stringify(r);
}
