/**
 * The measure context's shared state (src/engine/measures/context.ts, lab-planes.ts; issue #14):
 * the one L*a*b* pass must give exactly what the plain conversion (color.ts imageToLab) gives at
 * every pixel a measure reads, with the robust-colour bins of those values; a mask indexed after
 * the context was made gets its L*a*b* too; and the arrays lent from one measurement to the next
 * (MeasureBuffers) must carry nothing over: the same input measures the same after another one.
 * The wrinkle filter on the skin's shared integral, and the band-pass that gives two figures in
 * one pass, must equal their own-integral and one-figure forms bit for bit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../src/engine/image.ts';
import { imageToLab } from '../src/engine/measures/color.ts';
import { createMeasureContext, maskFromPixels, pixelsOf, skinLIntegral, unionPixels } from '../src/engine/measures/context.ts';
import { measureCloseup, measureFace } from '../src/engine/measures/index.ts';
import { AB_BINS, AB_LO, binOf, CLIP_LEVEL, CLIPPED, L_BINS } from '../src/engine/measures/lab-planes.ts';
import { bandEnergy, measureTexture, textureRadii } from '../src/engine/measures/texture.ts';
import { WRINKLE_ZONES, type MeasureInput } from '../src/engine/measures/types.ts';
import { FOREHEAD_SCALES, measureWrinkles, ridgeResponse } from '../src/engine/measures/wrinkles.ts';
import { whiteBalance } from '../src/engine/measures/white-balance.ts';
import { fixtureInput, loadSquareRgb } from './fixtures/measure-masks.ts';
import { copyData, freshMeasureInput } from '../testkit/measure-input.ts';

const FACE_PATH = fileURLToPath(new URL('../../shared/fixtures/faces/sergey.png', import.meta.url));
const FRONTAL = { faceSizePx: 420, pose: { yaw: 0, pitch: 0, roll: 0 } };

const extraOf = (m: MeasureInput) => [...Object.values(m.regions), ...Object.values(m.wrinkleZones)];

test('the one L*a*b* pass equals imageToLab at every pixel it converts, with the bins of those values', async () => {
  const input = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  const ctx = createMeasureContext(input.image, input.skin, input.interOcularPx, extraOf(input));
  const ref = imageToLab(ctx.image);
  const d = ctx.image.data;
  let withL = 0, withLab = 0;
  for (let i = 0; i < ctx.need.length; i++) {
    if (ctx.need[i] === 0) continue;
    withL++;
    assert.equal(ctx.lab.L[i], ref.L[i], `L* at ${i}`);
    if (ctx.need[i] !== 2) continue;
    withLab++;
    assert.equal(ctx.lab.a[i], ref.a[i], `a* at ${i}`);
    assert.equal(ctx.lab.b[i], ref.b[i], `b* at ${i}`);
    const clipped = d[3 * i] >= CLIP_LEVEL || d[3 * i + 1] >= CLIP_LEVEL || d[3 * i + 2] >= CLIP_LEVEL;
    assert.equal(ctx.bins.binL[i], clipped ? CLIPPED : binOf(ref.L[i], 0, L_BINS), `L bin at ${i}`);
    assert.equal(ctx.bins.binA[i], binOf(ref.a[i], AB_LO, AB_BINS), `a bin at ${i}`);
    assert.equal(ctx.bins.binB[i], binOf(ref.b[i], AB_LO, AB_BINS), `b bin at ${i}`);
  }
  // Every skin pixel has L*a*b*, and the sharpness Laplacian's neighbours have L*.
  for (const i of ctx.skinIdx) assert.equal(ctx.need[i], 2);
  assert.ok(withLab >= ctx.skinIdx.length && withL > withLab, `${withL} pixels with L*, ${withLab} with a*, b*`);
});

test('a mask the context was not made with gets its L*a*b* when it is indexed', async () => {
  const input = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  // Made with the skin only; a region drawn partly off the skin is indexed afterwards.
  const ctx = createMeasureContext(input.image, input.skin, input.interOcularPx);
  const mask = { ...input.skin, data: new Uint8Array(input.skin.data.length) };
  for (let y = 40; y < 120; y++) for (let x = 150; x < 230; x++) mask.data[y * 384 + x] = 1;
  const idx = pixelsOf(ctx, mask);
  const ref = imageToLab(ctx.image);
  assert.ok(idx.length > 0);
  for (const i of idx) {
    assert.equal(ctx.need[i], 2);
    assert.deepEqual([ctx.lab.L[i], ctx.lab.a[i], ctx.lab.b[i]], [ref.L[i], ref.a[i], ref.b[i]], `pixel ${i}`);
  }
});

test('lent buffers carry nothing over: an input measures the same before and after others of other sizes', async () => {
  const face = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  const small = fixtureInput(await loadSquareRgb(FACE_PATH, 256));
  const copy = copyData;
  const fresh = freshMeasureInput;
  const closeup = (image: RgbImage) => measureCloseup(copy(image), copy(face.skin));
  const first = measureFace(fresh(face), FRONTAL);
  const firstCloseup = closeup(face.image);
  const firstSmall = measureFace(fresh(small), FRONTAL);
  measureCloseup(copy(small.image), copy(small.skin));
  assert.deepEqual(measureFace(fresh(face), FRONTAL), first);
  assert.deepEqual(measureFace(fresh(small), FRONTAL), firstSmall);
  assert.deepEqual(closeup(face.image), firstCloseup);
  assert.deepEqual(measureFace(fresh(face), FRONTAL), first);
});

test('the ridge filter on the skin\'s shared integral equals it on an integral of its own, bit for bit', async () => {
  const input = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  const ctx = createMeasureContext(input.image, input.skin, input.interOcularPx, extraOf(input));
  const zones = WRINKLE_ZONES.map((z) => pixelsOf(ctx, input.wrinkleZones[z]));
  const copy = ctx.skin.data.slice();
  for (const [idx, scales, horizontal] of [[unionPixels(ctx, zones.slice(1)), undefined, false], [zones[0], FOREHEAD_SCALES, true]] as const) {
    assert.ok(idx.every((i) => copy[i] === 1), 'a zone pixel off the skin: the two supports would differ');
    // The skin's own array takes the shared integral; an equal copy, the filter's own.
    const shared = ridgeResponse(ctx, ctx.skin.data, idx, scales, horizontal);
    const own = ridgeResponse(ctx, copy, idx, scales, horizontal);
    assert.deepEqual([shared.x0, shared.y0, shared.width], [own.x0, own.y0, own.width]);
    let counted = 0;
    for (let k = 0; k < own.R.length; k++) {
      assert.ok(Object.is(shared.R[k], own.R[k]), `R at ${k}: ${shared.R[k]} shared, ${own.R[k]} own`);
      if (own.R[k] > 1) counted++;
    }
    assert.ok(counted > 0, 'no ridge above the threshold: the comparison says little');
  }
});

test('the band-pass gives the same figures for a region and the whole skin in one pass as in two', async () => {
  const input = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  const make = () => createMeasureContext(input.image, input.skin, input.interOcularPx, extraOf(input));
  const ctx = make();
  const cheeks = maskFromPixels(ctx, unionPixels(ctx, [pixelsOf(ctx, input.regions.left_cheek), pixelsOf(ctx, input.regions.right_cheek)]));
  // Cheeks first (as skin type asks): the whole skin's figure then comes from that pass.
  const inCheeks = measureTexture(ctx, cheeks);
  const whole = measureTexture(ctx);
  assert.deepEqual(whole, measureTexture(make()));
  // The other order, on a context of its own, gives the cheeks' figure unchanged.
  const other = make();
  measureTexture(other);
  assert.deepEqual(measureTexture(other, cheeks), inCheeks);
  assert.ok(inCheeks.pixels > 0 && inCheeks.pixels < whole.pixels, `${inCheeks.pixels} cheek pixels, ${whole.pixels} in all`);
  // And it is the band over the cheeks' interior skin pixels alone, summed in raster order.
  const [r1, r2] = textureRadii(ctx.scalePx);
  const { width: w, height: h, sum, count } = skinLIntegral(ctx);
  const box = (x: number, y: number, r: number, a: Float64Array | Int32Array) =>
    a[(y + r + 1) * (w + 1) + x + r + 1] - a[(y + r + 1) * (w + 1) + x - r] - a[(y - r) * (w + 1) + x + r + 1] + a[(y - r) * (w + 1) + x - r];
  let acc = 0, n = 0;
  for (let y = r2; y < h - r2; y++) {
    for (let x = r2; x < w - r2; x++) {
      if (cheeks.data[y * w + x] === 0 || ctx.skin.data[y * w + x] === 0 || box(x, y, r2, count) < 0.8 * (2 * r2 + 1) ** 2) continue;
      const v = box(x, y, r1, sum) / box(x, y, r1, count) - box(x, y, r2, sum) / box(x, y, r2, count);
      acc += v * v;
      n++;
    }
  }
  assert.deepEqual(bandEnergy(make(), r1, r2, cheeks), { energy: Math.sqrt(acc / n), pixels: n });
});

test('measureFace on lent arrays (the balanced image, the ridge maps) gives the wrinkles of a context of its own', async () => {
  const input = fixtureInput(await loadSquareRgb(FACE_PATH, 384));
  const wb = whiteBalance(input.image, input.skin);
  assert.ok(wb.report.corrected, 'not corrected: the balanced image would not be lent');
  const own = createMeasureContext(wb.image, input.skin, input.interOcularPx, extraOf(input));
  const expected = measureWrinkles(own, input.wrinkleZones, [input.regions.left_cheek, input.regions.right_cheek]);
  assert.ok(expected.available && expected.per_region.forehead !== null);
  measureFace(freshMeasureInput(input), FRONTAL);
  assert.deepEqual(measureFace(freshMeasureInput(input), FRONTAL).cv.wrinkles, expected);
});
