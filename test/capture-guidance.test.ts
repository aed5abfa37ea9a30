/**
 * The live capture guidance's analysis (web/src/capture/), run in Node on the same TF.js
 * WebAssembly backend the browser worker uses: BlazeFace through the small ONNX-on-TF.js
 * runner must match ONNX Runtime on the same input, and the checks on real photos must say
 * what the engine's quality gate says (a good photo passes everything, a darkened one is
 * "too dark", a turned head is asked to turn back).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import sharp, { type Sharp } from 'sharp';
import { blazeFaceModelPath, SHORT_RANGE } from '../src/engine/face/blazeface.ts';
import { blazeFaceInput, paddedView } from '../src/engine/face/blazeface-decode.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { createSession, ort } from '../src/engine/runtime/onnx.ts';
import { FrameAnalyzer, MESH_EVERY } from '../web/src/capture/analyze.ts';
import { allPassed, liveChecks, PassStreak, AUTO_CAPTURE_MS, toPreview } from '../web/src/capture/checks.ts';
import { loadFaceModels, type FaceModels } from '../web/src/capture/face-models.ts';
import { parseOnnx } from '../web/src/capture/onnx-proto.ts';
import { OnnxTfjsGraph } from '../web/src/capture/onnx-tfjs.ts';
import { FACES, rawPixels } from '../testkit/fixtures.ts';
import { faceMeshModelDir, initTfjsWasm } from '../testkit/tfjs-mesh.ts';

async function frameOf(file: string, transform: (s: Sharp) => Sharp = (s) => s, width = 480, height = 640): Promise<RgbImage> {
  const bytes = await transform(sharp(path.join(FACES, file)).rotate().resize(width, height, { fit: 'cover' })).toBuffer();
  const raw = await rawPixels(bytes);
  return { width: raw.width, height: raw.height, data: new Uint8Array(raw.data) };
}

/** A frontal, well-lit face that sits in the guide when cropped to the camera's 3:4. */
const GOOD = 'biden2.jpg';

function modelFiles() {
  const dir = faceMeshModelDir();
  const bin = fs.readFileSync(path.join(dir, 'facemesh.bin'));
  return {
    blazeFaceOnnx: new Uint8Array(fs.readFileSync(blazeFaceModelPath(SHORT_RANGE))),
    faceMeshJson: JSON.parse(fs.readFileSync(path.join(dir, 'facemesh.json'), 'utf8')),
    faceMeshBin: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
  };
}

describe('live capture guidance (the browser worker\'s analysis, in Node)', () => {
  let models: FaceModels;
  before(async () => {
    // TF.js' WebAssembly backend, as the worker sets it up in the browser.
    await initTfjsWasm();
    models = await loadFaceModels(modelFiles());
  });
  after(() => tf.disposeVariables());

  test('BlazeFace on TF.js gives ONNX Runtime\'s outputs on the same input', async () => {
    const image = await frameOf('obama.jpg');
    const n = SHORT_RANGE.input;
    const input = blazeFaceInput(image, SHORT_RANGE, paddedView(image, 0.4));
    const session = await createSession(blazeFaceModelPath(SHORT_RANGE), { intraOpThreads: 1 });
    const reference = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, n, n, 3]) });
    const graph = OnnxTfjsGraph.load(parseOnnx(new Uint8Array(fs.readFileSync(blazeFaceModelPath(SHORT_RANGE)))));
    assert.deepEqual(graph.outputNames, session.outputNames);
    const x = tf.tensor4d(input, [1, n, n, 3]);
    const outputs = graph.run(x);
    x.dispose();
    graph.dispose();
    session.outputNames.forEach((name, k) => {
      const want = reference[name]!.data as Float32Array;
      const got = outputs[k]!;
      assert.equal(got.length, want.length, name);
      // Float32 sums in another order: equal to a few parts in 10⁴ of the output's range.
      let worst = 0;
      let range = 0;
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        range = Math.max(range, Math.abs(want[i]!));
      }
      assert.ok(worst < 1e-3 * range, `${name}: largest difference ${worst} of ${range}`);
    });
    await session.release();
  });

  test('a malformed or unsupported model file is refused with a reason, never run', () => {
    // A node claiming 5 bytes inside a graph of 4.
    assert.throws(() => parseOnnx(new Uint8Array([0x3a, 0x04, 0x0a, 0x05, 0x08, 0x01])), /truncated ONNX field/);
    assert.throws(() => parseOnnx(new Uint8Array([0x08, 0x07])), /not an ONNX model/);
    const graph = parseOnnx(new Uint8Array(fs.readFileSync(blazeFaceModelPath(SHORT_RANGE))));
    graph.nodes[3] = { ...graph.nodes[3]!, op: 'Softmax' };
    assert.throws(() => OnnxTfjsGraph.load(graph), /ONNX op Softmax is not supported/);
  });

  test('a good frame passes every check, as the engine\'s gate passes it', async () => {
    const frame = await frameOf(GOOD);
    const analysis = new FrameAnalyzer(models).analyze(frame, 1);
    assert.equal(analysis.faces, 1);
    assert.deepEqual(analysis.face!.issues, []);
    const checks = liveChecks(analysis, frame);
    assert.deepEqual(checks.filter((c) => !c.ok), [], JSON.stringify({ face: analysis.face, checks }));
    assert.ok(allPassed(checks));
  });

  test('frames of one camera are tracked: the next frame follows the face without the detector', async () => {
    const frame = await frameOf(GOOD);
    const analyzer = new FrameAnalyzer(models);
    const first = analyzer.analyze(frame, 1);
    let detectorRuns = 0;
    const counting: FaceModels = { mesh: models.mesh, detect: (image) => (detectorRuns++, models.detect(image)) };
    const tracked = new FrameAnalyzer(counting);
    tracked.analyze(frame, 1);
    const second = tracked.analyze(frame, 1);
    assert.equal(detectorRuns, 1, 'the second frame is tracked');
    assert.deepEqual(second.face!.issues, []);
    assert.ok(Math.abs(second.face!.pose.yaw - first.face!.pose.yaw) < 3, `yaw ${first.face!.pose.yaw} → ${second.face!.pose.yaw}`);
    // A frame without the face loses the track and asks the detector again.
    const empty: RgbImage = { width: 480, height: 640, data: new Uint8Array(480 * 640 * 3).fill(90) };
    assert.equal(tracked.analyze(empty, 1).face, null);
    assert.equal(detectorRuns, 2);
  });

  test('while tracked, the mesh runs on every MESH_EVERY-th frame; the frames between judge their own light', async () => {
    const good = await frameOf(GOOD);
    const dark = await frameOf(GOOD, (s) => s.linear(0.12, 0));
    const analyzer = new FrameAnalyzer(models);
    const runs = [good, good, good, dark].map((f) => analyzer.analyze(f, 1));
    assert.equal(MESH_EVERY, 2);
    assert.deepEqual(runs.map((r) => r.meshed), [true, false, true, false]);
    assert.deepEqual(runs[1]!.face!.pose, runs[0]!.face!.pose, 'the reused landmarks give the same pose');
    assert.deepEqual(runs[2]!.face!.issues, []);
    // The fourth frame reuses the third's landmarks but measures its own (dark) pixels.
    assert.ok(runs[3]!.face!.issues.includes('TOO_DARK'), JSON.stringify(runs[3]!.face));
  });

  test('a dark frame says "too dark" and does not pass', async () => {
    const frame = await frameOf(GOOD, (s) => s.linear(0.12, 0));
    const analysis = new FrameAnalyzer(models).analyze(frame, 1);
    assert.ok(analysis.face, 'the face is still found in the dark');
    assert.ok(analysis.face.issues.includes('TOO_DARK'), JSON.stringify(analysis.face));
    const light = liveChecks(analysis, frame).find((c) => c.id === 'light')!;
    assert.equal(light.ok, false);
    assert.match(light.instruction!, /too dark/i);
    assert.ok(!allPassed(liveChecks(analysis, frame)));
    // The engine also calls a dark face blurred (no detail to see); the guidance asks for light first.
    assert.equal(liveChecks(analysis, frame).find((c) => c.id === 'sharpness')!.ok, null);
  });

  test('no face: "show your face", the other checks are not judged', async () => {
    const frame: RgbImage = { width: 480, height: 640, data: new Uint8Array(480 * 640 * 3).fill(90) };
    const checks = liveChecks(new FrameAnalyzer(models).analyze(frame, 1), frame);
    assert.deepEqual(checks.map((c) => c.ok), [false, null, null, null, null, null]);
    assert.match(checks[0]!.instruction!, /show your face/i);
  });

  test('a small face far from the centre is asked to come closer; a face off to one side to move', async () => {
    // The photo shrunk into the bottom-right corner of a grey frame.
    const small = await sharp(path.join(FACES, GOOD)).rotate().resize(300, 400, { fit: 'cover' }).toBuffer();
    const bytes = await sharp({ create: { width: 480, height: 640, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite([{ input: small, left: 180, top: 240 }]).png().toBuffer();
    const raw = await rawPixels(bytes);
    const frame = { width: raw.width, height: raw.height, data: new Uint8Array(raw.data) };
    const checks = liveChecks(new FrameAnalyzer(models).analyze(frame, 1), frame);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    assert.equal(byId.face!.ok, true);
    assert.equal(byId.distance!.instruction, 'Move closer');
    // Right of the frame is left of the mirrored preview: move to your right.
    assert.equal(byId.centre!.instruction, 'Move a little to your right');
  });

  test('the preview mapping mirrors and crops like object-fit: cover', () => {
    // A 4:3 landscape frame in a 3:4 box shows only its central 56 %.
    const p = toPreview({ x: 0.5, y: 0.25, width: 0.1, height: 0.5 }, { width: 1280, height: 960 });
    assert.ok(Math.abs(p.x - (1 - (0.5 - 0.21875) / 0.5625 - 0.1 / 0.5625)) < 1e-9);
    assert.ok(Math.abs(p.width - 0.1 / 0.5625) < 1e-9);
    assert.equal(p.height, 0.5);
  });

  test('auto-capture waits for about a second of passing checks without a break', () => {
    const streak = new PassStreak();
    assert.equal(streak.update(true, 0), false);
    assert.equal(streak.update(true, AUTO_CAPTURE_MS - 1), false);
    assert.equal(streak.update(false, AUTO_CAPTURE_MS + 10), false, 'a failing frame resets the hold');
    assert.equal(streak.update(true, AUTO_CAPTURE_MS + 20), false);
    assert.equal(streak.update(true, 2 * AUTO_CAPTURE_MS + 20), true);
  });
});
