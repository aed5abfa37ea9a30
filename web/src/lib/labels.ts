/**
 * Label placement without overlaps: each chip is tried at its anchor (pulled inside the
 * picture), then a few steps below, above and beside it; the first free spot wins, and a chip with no free spot is left out
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
    if (w > bounds.w || h > bounds.h) return null;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    for (const [dx, dy] of offsets) {
      // Pulled inside the bounds rather than dropped: a label near the edge stays beside its area.
      const r = {
        x: clamp(x + dx - w / 2, bounds.x, bounds.x + bounds.w - w),
        y: clamp(y + dy - h / 2, bounds.y, bounds.y + bounds.h - h),
        w,
        h,
      };
      if (this.placed.some((p) => overlaps(p, r))) continue;
      this.placed.push(r);
      return r;
    }
    return null;
  }
}
