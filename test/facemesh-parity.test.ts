/**
 * FaceMesh on ONNX Runtime (the engine: our conversion, training/facemesh/convert.py) against the
 * TF.js graph model it was converted from (the web app's capture guidance; WebAssembly backend),
 * on the crops the engine really feeds it (issue #14):
 *  - every face fixture: the crop at the detector's ROI, and the mirrored pair at the ROI re-fitted
 *    to the landmarks (a batch of 2, as the refinement runs it);
 *  - every non-face fixture: the whole-image fallback's crop (presence scores far from 1).
 * Landmarks must agree within 0.5 % of the inter-ocular distance (outer eye corners 33–263) and
 * the presence score within 1e-3. The committed ONNX file must also be what the converter writes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions } from '../src/engine/face/defaults.ts';
import { faceMeshModel, FaceMesh } from '../src/engine/face/facemesh.ts';
import { FALLBACK_ROI_SCALE } from '../src/engine/face/find.ts';
import { roiCrops, roiFromDetection, roiFromLandmarks, landmarksInRoi } from '../src/engine/face/landmarks.ts';
import { MESH_POINTS, type RawMesh } from '../src/engine/face/mesh-model.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { FACES, NON_FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';
import { loadTfjsMesh } from '../testkit/tfjs-mesh.ts';

/** Issue #14: a FaceMesh port keeps every landmark within 0.5 % of the eye distance. */
const MAX_LANDMARK_ERROR = 0.005;
const MAX_SCORE_ERROR = 1e-3;

let ort: FaceMesh;
let tfjs: Awaited<ReturnType<typeof loadTfjsMesh>>;
let detector: FaceDetector;
before(async () => {
  [ort, tfjs, detector] = await Promise.all([FaceMesh.load(), loadTfjsMesh(), FaceDetector.load(detectorOptions({}))]);
});
const worst = { landmark: 0, score: 0 };
after(async () => {
  console.log(`worst over the face crops: landmark ${(worst.landmark * 100).toExponential(2)} % of the eye distance, score ${worst.score.toExponential(2)}`);
  tfjs.dispose();
  await Promise.all([ort.close(), detector.close()]);
});

const interOcular = (p: Float32Array) => Math.hypot(p[263 * 3] - p[33 * 3], p[263 * 3 + 1] - p[33 * 3 + 1]);

/** Worst landmark distance (x, y in crop pixels) over the eye distance of the reference, and the score difference. */
function compare(reference: RawMesh[], candidate: RawMesh[]): { landmark: number; score: number } {
  let landmark = 0;
  let score = 0;
  reference.forEach((r, n) => {
    const c = candidate[n];
    const iod = interOcular(r.points);
    for (let i = 0; i < MESH_POINTS; i++) {
      landmark = Math.max(landmark, Math.hypot(c.points[i * 3] - r.points[i * 3], c.points[i * 3 + 1] - r.points[i * 3 + 1]) / iod);
    }
    score = Math.max(score, Math.abs(c.score - r.score));
  });
  return { landmark, score };
}

async function assertParity(crops: RgbImage[], what: string): Promise<RawMesh[]> {
  const reference = tfjs.runBatch(crops);
  const candidate = await ort.runBatch(crops);
  const { landmark, score } = compare(reference, candidate);
  worst.landmark = Math.max(worst.landmark, landmark);
  worst.score = Math.max(worst.score, score);
  assert.ok(landmark <= MAX_LANDMARK_ERROR, `${what}: a landmark ${(landmark * 100).toFixed(3)} % of the eye distance away`);
  assert.ok(score <= MAX_SCORE_ERROR, `${what}: presence score off by ${score}`);
  return candidate;
}

describe('FaceMesh: ONNX Runtime matches TF.js on real crops', () => {
  for (const file of faceFixtures()) {
    test(file, async () => {
      const { image } = await decodeImage(fs.readFileSync(path.join(FACES, file)));
      const [face] = await detector.detect(image);
      assert.ok(face, 'a detection');
      const roi = roiFromDetection(face);
      const first = await assertParity(roiCrops(image, roi), `${file}, detector ROI`);
      const refit = roiFromLandmarks(landmarksInRoi(first, roi).points);
      await assertParity(roiCrops(image, refit, true), `${file}, refitted ROI + mirror (batch 2)`);
    });
  }

  // truncated.jpg is a corrupt file (the decoder's test), not a photo.
  for (const file of fs.readdirSync(NON_FACES).filter((f) => /\.(jpe?g|png)$/i.test(f) && f !== 'truncated.jpg').sort()) {
    test(`${file} (no face)`, async () => {
      const { image } = await decodeImage(fs.readFileSync(path.join(NON_FACES, file)));
      const { width, height } = image;
      const roi = { cx: width / 2, cy: height / 2, size: Math.max(width, height) * FALLBACK_ROI_SCALE, angle: 0 };
      const reference = tfjs.runBatch(roiCrops(image, roi));
      const [candidate] = await ort.runBatch(roiCrops(image, roi));
      assert.ok(Math.abs(candidate.score - reference[0].score) <= MAX_SCORE_ERROR, `presence ${candidate.score} vs ${reference[0].score}`);
    });
  }
});

test('models/facemesh-468.onnx is what training/facemesh/convert.py writes, and face-models.json has its sha256', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'facemesh-')), 'facemesh.onnx');
  try {
    execFileSync('/usr/bin/python3', ['-m', 'training.facemesh.convert', out], { cwd: REPO, stdio: 'pipe' });
    const { path: committed, sha256 } = faceMeshModel();
    const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    assert.equal(sha(out), sha256);
    assert.equal(sha(committed), sha256);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});
