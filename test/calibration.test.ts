/**
 * Honest probabilities: calibrated models (temperature in the manifest), probabilities never
 * exactly 0 or 1, a result confidence that falls with poor photos and with uncertain models,
 * and one backbone forward per face for the heads that share a file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certainty, clipProbabilities, combinedConfidence, PROB_MAX, PROB_MIN } from '../src/engine/models/calibration.ts';
import { SharedSession } from '../src/engine/models/shared-session.ts';
import type { ort } from '../src/engine/runtime/onnx.ts';
import type { RgbImage } from '../src/engine/image.ts';

test('clipped probabilities stay inside [0.005, 0.995] and still sum to 1', () => {
  for (const p of [[1, 0], [0, 1], [0.999999, 0.000001], [1, 0, 0, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2]]) {
    const q = clipProbabilities(Float32Array.from(p));
    for (const v of q) assert.ok(v >= PROB_MIN - 1e-7 && v <= PROB_MAX + 1e-7, `${p} -> ${[...q]}`);
    assert.ok(Math.abs(q.reduce((s, v) => s + v, 0) - 1) < 1e-3, `${p} -> ${[...q]}`);
  }
  assert.deepEqual([...clipProbabilities(Float32Array.from([1, 0]))].map((v) => Math.round(v * 1000) / 1000), [0.995, 0.005]);
  // values already inside the range are unchanged
  assert.deepEqual([...clipProbabilities(Float32Array.from([0.25, 0.75]))], [0.25, 0.75]);
});

test('certainty is 0 for a uniform answer and 1 for a certain one', () => {
  assert.equal(certainty([0.5, 0.5]), 0);
  assert.equal(certainty([0.2, 0.2, 0.2, 0.2, 0.2]), 0);
  assert.equal(certainty([0, 1]), 1);
  assert.ok(Math.abs(certainty([0.25, 0.75]) - 0.5) < 1e-9);
});

test('confidence falls with image quality and with model uncertainty', () => {
  const sure = [Float32Array.from([0.995, 0.005])];
  const unsure = [Float32Array.from([0.55, 0.45])];
  assert.ok(combinedConfidence(1, sure) > combinedConfidence(1, unsure));
  assert.ok(combinedConfidence(0.6, sure) < combinedConfidence(1, sure));
  assert.ok(combinedConfidence(1, unsure) >= 0.5, 'an uncertain model at most halves it');
  assert.equal(combinedConfidence(0.7, []), 0.7, 'no model: quality alone');
});

function fakeSession(): { session: ort.InferenceSession; runs: () => number; released: () => boolean } {
  let runs = 0;
  let released = false;
  const session = {
    inputNames: ['input'],
    outputNames: ['acne_binary', 'skin_condition'],
    run: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return { acne_binary: { data: new Float32Array([0, 1]) }, skin_condition: { data: new Float32Array(5) } };
    },
    release: async () => {
      released = true;
    },
  } as unknown as ort.InferenceSession;
  return { session, runs: () => runs, released: () => released };
}

const crop = (): RgbImage => ({ width: 1, height: 1, data: new Uint8Array(3) });
const tensor = () => ({}) as ort.Tensor;

test('heads sharing a file run the backbone once per crop, and again for another crop', async () => {
  const fake = fakeSession();
  const shared = new SharedSession(fake.session);
  const face = crop();
  const [a, b] = await Promise.all([shared.run(tensor, face), shared.run(tensor, face)]);
  assert.equal(fake.runs(), 1);
  assert.equal(a, b);
  assert.deepEqual(Object.keys(a), ['acne_binary', 'skin_condition']);
  await shared.run(tensor, crop());
  assert.equal(fake.runs(), 2);
  // batches (no single crop) are never shared
  await Promise.all([shared.run(tensor), shared.run(tensor)]);
  assert.equal(fake.runs(), 4);
});

test('a shared session is released when its last user closes', async () => {
  const fake = fakeSession();
  const shared = new SharedSession(fake.session).acquire().acquire();
  await shared.release();
  assert.equal(fake.released(), false);
  await shared.release();
  assert.equal(fake.released(), true);
});
