/**
 * Label placement without overlaps: each chip is tried at its anchor (pulled inside the
 * picture), then a few steps around it, nearest first; the first free spot wins. With the
 * chip's area given, a spot whose centre lies more than `maxGap` from the area's box is not
 * taken: a label never ends far from what it names (an unzoomed photo with a small face has
 * little room, and a label pushed several rows away read as belonging to another face). A chip
 * with no free spot is left out (the legend and the score list still name it). Greedy, in the
 * order given: the caller puts the most important labels first.
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

/** Distance from the point (x, y) to the rect; 0 inside it. */
export function gapTo(r: Rect, x: number, y: number): number {
  const dx = Math.max(r.x - x, 0, x - (r.x + r.w));
  const dy = Math.max(r.y - y, 0, y - (r.y + r.h));
  return Math.hypot(dx, dy);
}

/** Where a chip is tried, relative to its anchor, nearest first: rows of 1.15 chip heights, columns of 0.6 chip widths. */
function offsetsFor(w: number, h: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = -4; i <= 4; i++) for (let j = -4; j <= 4; j++) out.push([i * w * 0.6, j * h * 1.15]);
  // Same distance: vertical moves first (a label below or above its area reads as its caption).
  return out.sort((a, b) => Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]) || Math.abs(a[0]) - Math.abs(b[0]));
}

export class LabelPlacer {
  readonly placed: Rect[] = [];

  /**
   * A free rect of size w×h centred near (x, y), inside `bounds`, whose centre is at most
   * `maxGap` from `area` when one is given, or null; the rect is taken.
   */
  place(x: number, y: number, w: number, h: number, bounds: Rect, area?: Rect, maxGap = Infinity): Rect | null {
    if (w > bounds.w || h > bounds.h) return null;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    for (const [dx, dy] of offsetsFor(w, h)) {
      // Pulled inside the bounds rather than dropped: a label near the edge stays beside its area.
      const r = {
        x: clamp(x + dx - w / 2, bounds.x, bounds.x + bounds.w - w),
        y: clamp(y + dy - h / 2, bounds.y, bounds.y + bounds.h - h),
        w,
        h,
      };
      if (area && gapTo(area, r.x + w / 2, r.y + h / 2) > maxGap) continue;
      if (this.placed.some((p) => overlaps(p, r))) continue;
      this.placed.push(r);
      return r;
    }
    return null;
  }
}
