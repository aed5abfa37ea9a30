/**
 * The landmarks stage per face fixture, counted (issue #14, "why is biden2's landmarks stage 35 ms"):
 * how many FaceMesh executions one analysis makes (the engine's own `prepare`, with a mesh that
 * counts its runs), the ROI of each crop with its side in photo pixels and cropRoi's taps per axis
 * (taps² bilinear samples per crop pixel, geometry.ts), and the time of each crop alone and of one
 * mesh execution (minimum over --runs).
 *   node --import tsx bench/mesh-passes.bench.ts [--runs 15]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, faceFixtures } from '../testkit/fixtures.ts';
import { DEFAULT_DECODE_OPTIONS } from '../src/engine/decode/decode.ts';
import { FACE_DEFAULTS, detectorOptions } from '../src/engine/face/defaults.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { FaceMesh } from '../src/engine/face/facemesh.ts';
import { confirmFaces } from '../src/engine/face/find.ts';
import { cropRoi, type Roi } from '../src/engine/face/geometry.ts';
import { roiFromDetection, roiFromLandmarks } from '../src/engine/face/landmarks.ts';
import { MESH_INPUT } from '../src/engine/face/mesh-model.ts';
import { prepare, type PipelineParts } from '../src/engine/pipeline.ts';
import type { ModelRegistry } from '../src/engine/models/registry.ts';

const { values } = commandLine({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);

const detector = await FaceDetector.load(detectorOptions({ intraOpThreads: 1 }));
const mesh = await FaceMesh.load(1);
const batches: number[] = [];
let meshMs = 0;
const runInput = mesh.runInput.bind(mesh);
mesh.runInput = async (input, batch) => {
  const t0 = performance.now();
  const out = await runInput(input, batch);
  meshMs += performance.now() - t0;
  batches.push(batch);
  return out;
};
const find = { detectionThreshold: FACE_DEFAULTS.detectionThreshold, meshThreshold: FACE_DEFAULTS.meshThreshold, fallbackThreshold: FACE_DEFAULTS.fallbackThreshold };
// prepare() never touches the model registry (that is analyzePrepared's).
const parts: PipelineParts = { detector, mesh, registry: undefined as unknown as ModelRegistry, decode: DEFAULT_DECODE_OPTIONS, find, refineLandmarks: true };

const taps = (roi: Roi) => Math.max(1, Math.min(4, Math.floor(roi.size / MESH_INPUT)));
const minOf = (f: () => void) => {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};

console.log(`min over ${runs} runs\n| fixture | image | mesh runs (batch) | crops: side px → taps | samples / crop px, summed | crops ms | mesh ms | landmarks stage ms |\n|---|---|---|---|---|---|---|---|`);
for (const file of faceFixtures()) {
  const bytes = fs.readFileSync(path.join(FACES, file));
  let stage = Infinity, meshBest = Infinity, counted: number[] = [];
  for (let i = 0; i < runs; i++) {
    batches.length = 0;
    meshMs = 0;
    const prepared = await prepare(parts, bytes);
    if (prepared.mode !== 'face') throw new Error(`${file}: no face`);
    stage = Math.min(stage, prepared.timings.landmarks ?? Infinity);
    meshBest = Math.min(meshBest, meshMs);
    counted = [...batches];
  }
  // The same ROIs, in the same order: one per detection (confirmation), then the re-fit and the final one.
  const prepared = await prepare(parts, bytes);
  if (prepared.mode !== 'face') throw new Error(`${file}: no face`);
  const image = prepared.decoded.image;
  const detections = await detector.detect(image, find.detectionThreshold);
  const { chosen } = await confirmFaces(mesh, image, detections, find);
  const rois = [...detections.map(roiFromDetection), roiFromLandmarks(chosen!.landmarks.points), prepared.face.landmarks.roi];
  const cropMs = rois.reduce((sum, roi) => sum + minOf(() => cropRoi(image, roi, MESH_INPUT)), 0);
  const sides = rois.map((r) => `${r.size.toFixed(0)}→${taps(r)}`).join(', ');
  const samples = rois.reduce((s, r) => s + taps(r) ** 2, 0);
  console.log(`| ${file} | ${image.width}×${image.height} | ${counted.length} (${counted.join('+')}) | ${sides} | ${samples} | ${cropMs.toFixed(2)} | ${meshBest.toFixed(2)} | ${stage.toFixed(2)} |`);
}
await mesh.close();
await detector.close();
