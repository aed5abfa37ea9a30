/**
 * FaceMesh's load-time PRelu rewrite (src/engine/face/prelu-rewrite.ts) runs the same function:
 * on real crops (detector ROI at batch 1, the mirrored pair at batch 2) the rewritten session's
 * landmarks stay within 1e-3 crop pixels (192-px crop; 0.5 % of the eye distance, the parity
 * bound, is ~0.3 px) and its presence score within 1e-5 of the committed graph's, run as it is.
 * Measured: 3e-5 px. The committed file itself is not changed (test/facemesh-parity.test.ts checks
 * that it is what the converter writes).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions } from '../src/engine/face/defaults.ts';
import { FaceMesh, faceMeshModel } from '../src/engine/face/facemesh.ts';
import { roiCrops, roiFromDetection } from '../src/engine/face/landmarks.ts';
import { rewritePRelu } from '../src/engine/face/prelu-rewrite.ts';
import { FACES } from '../testkit/fixtures.ts';

const MAX_POINT_ERROR_PX = 1e-3;
const MAX_SCORE_ERROR = 1e-5;

let plain: FaceMesh;
let rewritten: FaceMesh;
let detector: FaceDetector;
before(async () => {
  [plain, rewritten, detector] = await Promise.all([FaceMesh.load(1, { rewritePRelu: false }), FaceMesh.load(1, { rewritePRelu: true }), FaceDetector.load(detectorOptions({}))]);
});
after(async () => {
  await Promise.all([plain.close(), rewritten.close(), detector.close()]);
});

test('every PRelu of the committed FaceMesh graph is rewritten', () => {
  const model = fs.readFileSync(faceMeshModel().path);
  const { bytes, count } = rewritePRelu(model);
  assert.equal(count, 23);
  assert.ok(!Buffer.from(bytes).includes('PRelu'), 'no PRelu operator left');
  assert.equal(rewritePRelu(bytes).count, 0, 'a rewritten graph has nothing left to rewrite');
});

test('the rewritten FaceMesh gives the same landmarks and scores on real crops', async () => {
  let worst = 0;
  for (const file of ['obama-1080p.jpg', 'astronaut.png', 'biden.jpg', 'two_people.jpg', 'sergey.png']) {
    const { image } = await decodeImage(fs.readFileSync(path.join(FACES, file)));
    for (const face of await detector.detect(image)) {
      for (const mirrored of [false, true]) {
        const crops = roiCrops(image, roiFromDetection(face), mirrored);
        const [a, b] = [await plain.runBatch(crops), await rewritten.runBatch(crops)];
        a.forEach((r, n) => {
          for (let i = 0; i < r.points.length; i++) worst = Math.max(worst, Math.abs(r.points[i] - b[n].points[i]));
          assert.ok(Math.abs(r.score - b[n].score) <= MAX_SCORE_ERROR, `${file}: score ${r.score} vs ${b[n].score}`);
        });
      }
    }
  }
  console.log(`worst landmark coordinate difference: ${worst.toExponential(2)} crop px`);
  assert.ok(worst <= MAX_POINT_ERROR_PX, `a landmark coordinate ${worst} crop px away`);
});
