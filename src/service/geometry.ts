/**
 * SKINSIGHT_STORE_LANDMARKS=false (the default): the face mesh (468 points) and the region
 * polygons are biometric detail the stored result does not need. The stored result keeps empty
 * arrays in their place (still schema-valid); the geometry goes to `scans.geometry_json`, which
 * the retention job clears GEOMETRY_KEEP_MS after completion, so the owner's result page can
 * draw the overlay right after the scan and nothing outlives that hour.
 */
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

/**
 * The same from the result object itself (a fresh analysis): no JSON.parse round trip. The
 * object is left as it was (its geometry is put back after the stored text is written), so the
 * text equals what splitGeometry(JSON.stringify(result)) gives.
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

/** The stored result with its geometry put back (while it is still kept). */
export function joinGeometry(resultJson: string, geometryJson: string | null): string {
  if (!geometryJson) return resultJson;
  const r = JSON.parse(resultJson) as ResultLike;
  const g = JSON.parse(geometryJson) as Geometry;
  if (r.face && g.landmarks) r.face.landmarks = g.landmarks;
  for (const [name, polygon] of Object.entries(g.polygons)) if (r.regions?.[name]) r.regions[name].polygon = polygon;
  return JSON.stringify(r);
}
