/**
 * BlazeFace's load-time channel-padding rewrite (src/engine/face/channel-pad-rewrite.ts) changes
 * no result beyond float rounding. On the real fixtures' detector inputs (both views, both ranges):
 * every one of the 896 anchors' scores within 1e-5 of the graph as shipped, and the box and
 * keypoints of every anchor scoring ≥ 0.01 within 2e-3 model-input pixels (measured: 3.6e-7 /
 * 5.2e-5 short range, 2.4e-6 / 5.8e-5 full range; see the log lines). The detector finds the same
 * faces (count, scores within 1e-5, boxes within 0.01 image pixels; measured 8.4e-5) on every
 * face and non-face fixture.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { BlazeFace, blazeFaceModelPath, FULL_RANGE, paddedView, SHORT_RANGE, type FaceDetection } from '../src/engine/face/blazeface.ts';
import { rewriteChannelPadding } from '../src/engine/face/channel-pad-rewrite.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions, FACE_DEFAULTS } from '../src/engine/face/defaults.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { FACES, NON_FACES, faceFixtures } from '../testkit/fixtures.ts';

const MAX_SCORE_ERROR = 1e-5;
const MAX_INPUT_PX_ERROR = 2e-3;
const MAX_BOX_PX_ERROR = 0.01;
/** Boxes are compared on the anchors scoring at least this (every threshold in use is ≥ 0.5). */
const MIN_SCORE = 0.01;

const NON_FACE_FILES = ['chelsea.png', 'coffee.png', 'rocket.jpg'];
const images: [string, RgbImage][] = [];
before(async () => {
  for (const file of [...faceFixtures().map((f) => path.join(FACES, f)), ...NON_FACE_FILES.map((f) => path.join(NON_FACES, f))]) {
    images.push([path.basename(file), (await decodeImage(fs.readFileSync(file))).image]);
  }
});

test('every zero-padding Concat of both BlazeFace graphs is rewritten', () => {
  for (const [variant, concats] of [[SHORT_RANGE, 11], [FULL_RANGE, 2]] as const) {
    const { bytes, concats: n } = rewriteChannelPadding(fs.readFileSync(blazeFaceModelPath(variant)));
    assert.equal(n, concats, variant.name);
    assert.equal(rewriteChannelPadding(bytes).concats, 0, `${variant.name}: a rewritten graph has nothing left to rewrite`);
  }
});

/** The largest difference of any coordinate of two detections (box corner, size, keypoints). */
function coordinateError(a: FaceDetection, b: FaceDetection): number {
  let worst = Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y), Math.abs(a.width - b.width), Math.abs(a.height - b.height));
  a.keypoints.forEach((p, k) => (worst = Math.max(worst, Math.abs(p.x - b.keypoints[k].x), Math.abs(p.y - b.keypoints[k].y))));
  return worst;
}

for (const variant of [SHORT_RANGE, FULL_RANGE]) {
  test(`${variant.name}: the rewritten graph gives every anchor the same score and box on the fixtures`, async () => {
    const [plain, rewritten] = await Promise.all([BlazeFace.load(variant, 1, { padChannels: false }), BlazeFace.load(variant, 1)]);
    assert.deepEqual([plain.channelPad, rewritten.channelPad], [{ concats: 0 }, { concats: variant === SHORT_RANGE ? 11 : 2 }], 'as shipped, rewritten');
    let worstScore = 0;
    let worstPx = 0;
    try {
      for (const [name, image] of images) {
        for (const view of [paddedView(image, FACE_DEFAULTS.shortRangePad), paddedView(image, 0)]) {
          const [a, b] = [await plain.candidates(image, view, 0), await rewritten.candidates(image, view, 0)];
          assert.equal(a.length, 896, name);
          assert.equal(b.length, 896, name);
          const toInput = variant.input / view.side; // image px → model-input px
          a.forEach((d, i) => {
            worstScore = Math.max(worstScore, Math.abs(d.score - b[i].score));
            // Boxes only where an anchor could matter: the rest score ~1e-44 with boxes of thousands
            // of pixels, which float rounding moves by ~1e-6 of their size.
            if (Math.max(d.score, b[i].score) >= MIN_SCORE) worstPx = Math.max(worstPx, coordinateError(d, b[i]) * toInput);
          });
        }
      }
    } finally {
      await Promise.all([plain.close(), rewritten.close()]);
    }
    console.log(`${variant.name}: worst score difference ${worstScore.toExponential(2)}, worst coordinate ${worstPx.toExponential(2)} input px`);
    assert.ok(worstScore <= MAX_SCORE_ERROR, `a score ${worstScore} away`);
    assert.ok(worstPx <= MAX_INPUT_PX_ERROR, `a coordinate ${worstPx} input px away`);
  });
}

let plainDetector: FaceDetector;
let detector: FaceDetector;
before(async () => {
  [plainDetector, detector] = await Promise.all([FaceDetector.load(detectorOptions({ padChannels: false })), FaceDetector.load(detectorOptions())]);
});
after(async () => {
  await Promise.all([plainDetector.close(), detector.close()]);
});

test('the detector finds the same faces with the rewritten graphs, on every face and non-face fixture', async () => {
  let worst = 0;
  for (const [name, image] of images) {
    const [a, b] = [await plainDetector.detect(image), await detector.detect(image)];
    assert.equal(b.length, a.length, `${name}: ${b.length} faces instead of ${a.length}`);
    a.forEach((d, i) => {
      assert.ok(Math.abs(d.score - b[i].score) <= MAX_SCORE_ERROR, `${name}: score ${d.score} vs ${b[i].score}`);
      worst = Math.max(worst, coordinateError(d, b[i]));
    });
  }
  console.log(`worst detection coordinate difference: ${worst.toExponential(2)} image px`);
  assert.ok(worst <= MAX_BOX_PX_ERROR, `a detection coordinate ${worst} px away`);
});
