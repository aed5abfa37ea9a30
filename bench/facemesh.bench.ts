/**
 * FaceMesh alone, TF.js (WebAssembly backend: what the engine ran before, and the web app runs)
 * against our ONNX conversion on onnxruntime-node (what the engine runs), at batch 1 and 2 (the
 * mirrored pass), the same ONNX graph with its PRelu nodes rewritten (prelu-rewrite.ts), and with its
 * channel Pads as convolutions too (pad-conv-rewrite.ts: what the engine loads), called in
 * alternation on one real crop in one process. Min / median ms.
 * Then what the landmark stage adds around the model on a big photo (obama-1080p.jpg): the crop
 * and model input built the plain way (cropRoi, flipped copy, meshInput) and fused (roiInput),
 * and one whole mesh pass from the ROI (meshInRoiAsync: crop, input, run, points in the photo).
 *   node --import tsx bench/facemesh.bench.ts [--runs 100]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions } from '../src/engine/face/defaults.ts';
import { FaceMesh } from '../src/engine/face/facemesh.ts';
import { meshInRoiAsync, roiCrops, roiFromDetection, roiInput } from '../src/engine/face/landmarks.ts';
import { meshInput } from '../src/engine/face/mesh-model.ts';
import { FACES } from '../testkit/fixtures.ts';
import { loadTfjsMesh } from '../testkit/tfjs-mesh.ts';

const { values } = commandLine({ options: { runs: { type: 'string', default: '100' } } });
const runs = Number(values.runs);

const [ort, ortRw, ortPad, tfjs, detector] = await Promise.all([
  FaceMesh.load(1, { rewritePRelu: false, padAsConv: false }),
  FaceMesh.load(1, { padAsConv: false }),
  FaceMesh.load(1),
  loadTfjsMesh(),
  FaceDetector.load(detectorOptions({})),
]);
const { image } = await decodeImage(fs.readFileSync(path.join(FACES, 'obama.jpg')));
const [face] = await detector.detect(image);
const pair = roiCrops(image, roiFromDetection(face), true);

const big = (await decodeImage(fs.readFileSync(path.join(FACES, 'obama-1080p.jpg')))).image;
const [bigFace] = await detector.detect(big);
const bigRoi = roiFromDetection(bigFace);

const cases: Record<string, () => unknown> = {
  'TF.js WASM, batch 1': () => tfjs.runBatch(pair.slice(0, 1)),
  'ONNX Runtime, batch 1': () => ort.runBatch(pair.slice(0, 1)),
  'TF.js WASM, batch 2': () => tfjs.runBatch(pair),
  'ONNX Runtime, batch 2': () => ort.runBatch(pair),
  'ONNX Runtime, PRelu rewritten (prelu-rewrite.ts), batch 1': () => ortRw.runBatch(pair.slice(0, 1)),
  'ONNX Runtime, PRelu rewritten, batch 2': () => ortRw.runBatch(pair),
  'ONNX Runtime, PRelu rewritten + Pads as convolutions (pad-conv-rewrite.ts, the engine), batch 1': () => ortPad.runBatch(pair.slice(0, 1)),
  'ONNX Runtime, PRelu rewritten + Pads as convolutions, batch 2': () => ortPad.runBatch(pair),
  'obama-1080p: crop + flip + meshInput, batch 2 (plain)': () => meshInput(roiCrops(big, bigRoi, true)),
  'obama-1080p: roiInput, batch 2 (fused)': () => roiInput(big, bigRoi, true),
  'obama-1080p: roiInput, batch 1 (the confirm pass and the re-fit)': () => roiInput(big, bigRoi),
  'obama-1080p: one pass from the ROI, batch 1 (meshInRoiAsync, the engine\'s session)': () => meshInRoiAsync(ortPad, big, bigRoi),
  'obama-1080p: one mirrored pass from the ROI, batch 2': () => meshInRoiAsync(ortPad, big, bigRoi, true),
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs + 5; i++) {
  for (const [name, run] of Object.entries(cases)) {
    const t0 = performance.now();
    await run();
    if (i >= 5) times[name].push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`FaceMesh 192×192 on one crop of obama.jpg, ${runs} alternating runs, 1 thread (min / median ms)\n| what | ms |\n|---|---|`);
for (const [name, xs] of Object.entries(times)) console.log(`| ${name} | ${Math.min(...xs).toFixed(2)} / ${median(xs).toFixed(2)} |`);
tfjs.dispose();
await Promise.all([ort.close(), ortRw.close(), ortPad.close(), detector.close()]);
