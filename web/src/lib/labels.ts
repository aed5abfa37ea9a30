/**
 * Label placement without overlaps: each chip is tried at its anchor, then a few steps below,
 * above and beside it; the first free spot wins, and a chip with no free spot is left out
 * (the legend and the score list still name it). Greedy, in the order given: the caller puts
 * the most important labels first.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

export class LabelPlacer {
  readonly placed: Rect[] = [];

  /** A free rect of size w×h centred near (x, y), inside `bounds`, or null; the rect is taken. */
  place(x: number, y: number, w: number, h: number, bounds: Rect): Rect | null {
    const step = h * 1.15;
    const offsets: [number, number][] = [[0, 0]];
    for (let k = 1; k <= 4; k++) offsets.push([0, k * step], [0, -k * step], [w * 0.6 * k, 0], [-w * 0.6 * k, 0]);
    for (const [dx, dy] of offsets) {
      const r = { x: x + dx - w / 2, y: y + dy - h / 2, w, h };
      if (r.x < bounds.x || r.y < bounds.y || r.x + r.w > bounds.x + bounds.w || r.y + r.h > bounds.y + bounds.h) continue;
      if (this.placed.some((p) => overlaps(p, r))) continue;
      this.placed.push(r);
      return r;
    }
    return null;
  }
}
