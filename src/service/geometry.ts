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

/**
 * The stored result with its geometry put back (while it is still kept): the text of
 * joinGeometryParsed, written without parsing either text when it can be. The stored text is
 * JSON.stringify output with `[]` where the face mesh and each region's polygon were, and the
 * geometry's arrays are JSON.stringify output too, so putting each array's text in place of its
 * `[]` writes what parse, assign and JSON.stringify would (a nested value's text is the same
 * alone or in its parent). Anything else (a placeholder missing or not empty, landmarks null,
 * a region the result lacks) takes the parsing path.
 */
export function joinGeometry(resultJson: string, geometryJson: string | null): string {
  if (!geometryJson) return resultJson;
  const g = valueSpans(geometryJson, 2);
  const r = valueSpans(resultJson, 3);
  if (!g || !r) return joinGeometryParsed(resultJson, geometryJson);
  const cuts: [at: number, text: string][] = [];
  for (const [path, [start, end]] of g) {
    let target: string | undefined;
    if (path === '\0landmarks') target = '\0face\0landmarks';
    else if (path.startsWith('\0polygons\0') && path.indexOf('\0', 10) === -1) target = `\0regions${path.slice(9)}\0polygon`;
    else if (path === '\0polygons') continue;
    if (target === undefined || geometryJson.charCodeAt(start) !== 0x5b) return joinGeometryParsed(resultJson, geometryJson);
    const at = r.get(target);
    if (at === undefined || resultJson.charCodeAt(at[0]) !== 0x5b || at[1] !== at[0] + 2) return joinGeometryParsed(resultJson, geometryJson);
    cuts.push([at[0], geometryJson.slice(start, end)]);
  }
  if (!g.has('\0landmarks') || !g.has('\0polygons')) return joinGeometryParsed(resultJson, geometryJson);
  cuts.sort((a, b) => a[0] - b[0]);
  let out = '';
  let from = 0;
  for (const [at, text] of cuts) {
    out += resultJson.slice(from, at) + text;
    from = at + 2;
  }
  return out + resultJson.slice(from);
}

/**
 * The [start, end) of every value of an object member up to `depth` objects down and not inside
 * an array, by its key path (each key after a \0), in compact JSON text (JSON.stringify's, no
 * white space). Null when a path repeats or a key holds \0 (never in JSON.stringify output of
 * a result; the caller then parses).
 */
function valueSpans(text: string, depth: number): Map<string, [number, number]> | null {
  const spans = new Map<string, [number, number]>();
  // The open containers: their key paths (null: inside an array, not recorded).
  const paths: (string | null)[] = [];
  const objects: boolean[] = [];
  let key: string | null = null;
  // The member whose value is being read, when recorded.
  let open: [number, number] | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      let escaped = false;
      for (let d = text.charCodeAt(j); d !== 0x22; d = text.charCodeAt(++j)) {
        if (j >= text.length) return null;
        if (d === 0x5c) {
          escaped = true;
          j++;
        }
      }
      if (text.charCodeAt(j + 1) === 0x3a) {
        // A key: in compact JSON only a key is followed by a colon.
        key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (key.includes('\0')) return null;
        i = j + 1;
        const parent = paths[paths.length - 1];
        open = null;
        if (parent != null && objects.length <= depth) {
          const path = `${parent}\0${key}`;
          if (spans.has(path)) return null;
          spans.set(path, (open = [i + 1, -1]));
        }
        continue;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const parent = paths[paths.length - 1];
      const inObject = objects[objects.length - 1] === true;
      paths.push(paths.length === 0 ? '' : inObject && parent != null ? `${parent}\0${key}` : null);
      objects.push(c === 0x7b);
      open = null;
      continue;
    } else if (c === 0x7d || c === 0x5d) {
      objects.pop();
      const path = paths.pop();
      const span = path ? spans.get(path) : undefined;
      if (span) span[1] = i + 1;
      open = null;
      continue;
    }
    // Inside a primitive value (or its closing quote): it ends before the next , or }.
    if (open && (text.charCodeAt(i + 1) === 0x2c || text.charCodeAt(i + 1) === 0x7d)) {
      open[1] = i + 1;
      open = null;
    }
  }
  return objects.length === 0 ? spans : null;
}

/** The stored result with its geometry put back, by parsing both texts (joinGeometry's reference and fallback). */
export function joinGeometryParsed(resultJson: string, geometryJson: string | null): string {
  if (!geometryJson) return resultJson;
  const r = JSON.parse(resultJson) as ResultLike;
  const g = JSON.parse(geometryJson) as Geometry;
  if (r.face && g.landmarks) r.face.landmarks = g.landmarks;
  for (const [name, polygon] of Object.entries(g.polygons)) if (r.regions?.[name]) r.regions[name].polygon = polygon;
  return JSON.stringify(r);
}
