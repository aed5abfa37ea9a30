/**
 * Delaunay triangulation (Bowyer–Watson) of the 2-D landmark positions, for drawing the
 * mesh. The result carries 468 points but not MediaPipe's triangle list; triangulating the
 * points gives the same look without shipping a 2,500-edge table. O(n²) is instant at n=468.
 */
type P = [number, number];

interface Tri {
  a: number;
  b: number;
  c: number;
  cx: number;
  cy: number;
  r2: number;
}

function circum(pts: P[], a: number, b: number, c: number): Tri {
  const [ax, ay] = pts[a]!;
  const [bx, by] = pts[b]!;
  const [cx, cy] = pts[c]!;
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  if (Math.abs(d) < 1e-12) return { a, b, c, cx: 0, cy: 0, r2: Infinity };
  const a2 = ax * ax + ay * ay;
  const b2 = bx * bx + by * by;
  const c2 = cx * cx + cy * cy;
  const ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d;
  const uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d;
  return { a, b, c, cx: ux, cy: uy, r2: (ax - ux) ** 2 + (ay - uy) ** 2 };
}

/** Unique undirected edges [i, j] (i < j) of the triangulation of `points`. */
export function delaunayEdges(points: P[]): [number, number][] {
  const n = points.length;
  if (n < 3) return [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x); minY = Math.min(minY, y);
    maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  const span = Math.max(maxX - minX, maxY - minY) * 20 + 1;
  const midX = (minX + maxX) / 2;
  const midY = (minY + maxY) / 2;
  // A super-triangle holding every point; its corners are indices n, n+1, n+2.
  const pts: P[] = [...points, [midX - span, midY - span], [midX, midY + span], [midX + span, midY - span]];
  let tris: Tri[] = [circum(pts, n, n + 1, n + 2)];

  for (let i = 0; i < n; i++) {
    const [x, y] = pts[i]!;
    const bad: Tri[] = [];
    const keep: Tri[] = [];
    for (const t of tris) ((x - t.cx) ** 2 + (y - t.cy) ** 2 < t.r2 ? bad : keep).push(t);
    // The hole's boundary: edges of bad triangles that no other bad triangle shares.
    const edges = new Map<string, [number, number]>();
    for (const t of bad) {
      for (const [u, v] of [[t.a, t.b], [t.b, t.c], [t.c, t.a]] as [number, number][]) {
        const key = u < v ? `${u},${v}` : `${v},${u}`;
        if (edges.has(key)) edges.delete(key);
        else edges.set(key, [u, v]);
      }
    }
    for (const [u, v] of edges.values()) keep.push(circum(pts, u, v, i));
    tris = keep;
  }

  const out = new Map<string, [number, number]>();
  for (const t of tris) {
    if (t.a >= n || t.b >= n || t.c >= n) continue;
    for (const [u, v] of [[t.a, t.b], [t.b, t.c], [t.c, t.a]] as [number, number][]) {
      const e: [number, number] = u < v ? [u, v] : [v, u];
      out.set(`${e[0]},${e[1]}`, e);
    }
  }
  return [...out.values()];
}
