/**
 * The classifier builds its input tensor from the measure crop (classifier.ts): each crop is
 * area-resized into one buffer it keeps and lends from crop to crop, then normalised into the
 * tensor. It must give the model exactly what the two-step path gives it: the crop resized by
 * resizeArea (what `skinsight crop` writes for training), then normalised, also when one tensor
 * holds several crops of different sizes (a micro-batch, two faces).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../src/engine/index.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { resampleAreaWeighted, resizeArea } from '../src/engine/face/geometry.ts';
import { MODEL_TASKS } from '../src/engine/models/manifest.ts';
import { fixture } from '../testkit/fixtures.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine({ intraOpThreads: 1 });
});
after(async () => {
  await engine.close();
});

/** The tensor the two-step way, written out independently of classifier.ts: resize, /255, (x − mean) / std, planes. */
function twoStepTensor(crop: RgbImage, size: number, mean: number[], std: number[]): Float32Array {
  const small = resizeArea(crop, size, size).data;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = Math.fround((small[i * 3 + c] / 255 - mean[c]) / std[c]);
  return out;
}

test('the input tensor equals resize-then-normalise, value for value, for every default model', async () => {
  const { crop } = await engine.prepare(fixture('faces', 'obama.jpg'));
  for (const task of MODEL_TASKS) {
    const m = engine.registry.forTask(task);
    if (!('classifier' in m)) continue;
    const { size, layout, mean, std } = m.entry.input;
    assert.equal(layout, 'NCHW');
    const tensor = (m.classifier as unknown as { tensor(crops: RgbImage[]): { data: Float32Array } }).tensor([crop]);
    const expected = twoStepTensor(crop, size, mean, std);
    let differ = 0;
    for (let i = 0; i < expected.length; i++) if (tensor.data[i] !== expected[i]) differ++;
    assert.equal(differ, 0, `${task}: ${differ} of ${expected.length} values differ`);
  }
});

test('the input gives the same probabilities as resizing the crop first, for every default model', async () => {
  const prepared = await engine.prepare(fixture('faces', 'obama.jpg'));
  const crop = prepared.crop;
  let checked = 0;
  for (const task of MODEL_TASKS) {
    const m = engine.registry.forTask(task);
    if (!('classifier' in m)) continue;
    const size = m.entry.input.size;
    assert.notEqual(crop.width, size, 'the crop is not already the input size');
    const [fused] = await m.classifier.classify([crop]);
    const [twoStep] = await m.classifier.classify([resizeArea(crop, size, size)]);
    assert.deepEqual(Array.from(fused), Array.from(twoStep), `${task}: same probabilities`);
    checked++;
  }
  assert.ok(checked > 0, 'at least one model is available');
});

test('a tensor of several crops (384², at the input size, 300²) holds each crop as its own tensor would', async () => {
  const { crop } = await engine.prepare(fixture('faces', 'biden.jpg'));
  for (const task of MODEL_TASKS) {
    const m = engine.registry.forTask(task);
    if (!('classifier' in m)) continue;
    const size = m.entry.input.size;
    const crops = [crop, resizeArea(crop, size, size), resizeArea(crop, 300, 300), crop];
    const tensorOf = (cs: RgbImage[]) => (m.classifier as unknown as { tensor(c: RgbImage[]): { data: Float32Array } }).tensor(cs).data;
    const batch = tensorOf(crops);
    const one = 3 * size * size;
    crops.forEach((c, k) => {
      const alone = tensorOf([c]);
      let differ = 0;
      for (let i = 0; i < one; i++) if (batch[k * one + i] !== alone[i]) differ++;
      assert.equal(differ, 0, `${task}, crop ${k}: ${differ} values differ from its own tensor`);
    });
  }
});

test('the integer-ratio area resize (2×2 blocks for the model input) equals the weighted definition', async () => {
  const { crop } = await engine.prepare(fixture('faces', 'obama-1080p.jpg'));
  assert.deepEqual([crop.width, crop.height], [384, 384]);
  const same = (src: RgbImage, w: number, h: number, what: string) => {
    const fast = resizeArea(src, w, h).data;
    const def = new Uint8Array(w * h * 3);
    resampleAreaWeighted(src, w, h, (i, r, g, b) => def.set([r, g, b], i * 3));
    let differ = 0;
    for (let i = 0; i < def.length; i++) if (fast[i] !== def[i]) differ++;
    assert.equal(differ, 0, `${what}: ${differ} values differ`);
  };
  same(crop, 192, 192, 'measure crop 384 -> 192');
  // random pixels: the unrolled 2×2 case, the general block loop (3×2, 4×4, 1×1) and a non-integer ratio
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const noise: RgbImage = { width: 48, height: 36, data: Uint8Array.from({ length: 48 * 36 * 3 }, rnd) };
  for (const [w, h] of [[24, 18], [16, 18], [12, 9], [48, 36], [20, 15]]) same(noise, w, h, `noise 48×36 -> ${w}×${h}`);
});
