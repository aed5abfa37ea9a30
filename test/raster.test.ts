/**
 * The region stage's binary morphology (src/engine/region/raster.ts): the bounded, running-count
 * dilation (issue #14) must give exactly the square dilation, also where the mask touches the
 * crop's borders. Reference: the definition, out(x, y) = OR of the mask over |dx|, |dy| ≤ r.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dilate } from '../src/engine/region/raster.ts';

/** Deterministic pseudo-random numbers in [0, 1) (a 32-bit LCG, Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('dilate equals the square dilation by definition, borders included', () => {
  const rnd = lcg(14);
  for (let t = 0; t < 200; t++) {
    const w = 3 + Math.floor(rnd() * 40);
    const h = 3 + Math.floor(rnd() * 40);
    const radius = rnd() * 6;
    const density = rnd() * 0.06;
    const data = new Uint8Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = rnd() < density ? 1 : 0;
    const out = dilate({ width: w, height: h, data }, radius).data;
    const r = Math.round(radius);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) v |= data[yy * w + xx];
        }
        assert.equal(out[y * w + x], v, `case ${t} (${w}×${h}, r ${r}) at ${x},${y}`);
      }
    }
  }
});
