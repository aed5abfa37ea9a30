/**
 * FaceMesh's load-time Pad rewrite (src/engine/face/pad-conv-rewrite.ts: a channel Pad with zeros
 * as a 1×1 convolution by [I; 0]):
 *  - on the committed graph, all 3 channel Pads are rewritten (after the PRelu rewrite, as the
 *    engine loads it, and on the plain graph), and a rewritten graph has nothing left to rewrite;
 *  - on real crops (every face fixture: the detector's ROI at batch 1, the re-fitted mirrored pair
 *    at batch 2, as the refinement runs them) the engine's session (both rewrites) gives the same
 *    landmarks as the PRelu-only session within MAX_LANDMARK_ERROR of the eye distance (100× under
 *    test/facemesh-parity.test.ts's 0.5 %) and the same presence scores within 1e-5;
 *  - on tiny graphs built here: the rewritten Pad + Add gives the same output as the plain one,
 *    and what it must leave alone (another mode, a non-zero constant, spatial or leading padding,
 *    an unknown channel count) comes back as the same bytes; a malformed pads tensor makes the
 *    rewrite throw, and the loader (padsAsConv) then keeps the graph as given and says why;
 *  - when ORT refuses the rewritten graph (here: a weight name the rewrite adds was already taken
 *    by another initializer), FaceMesh.fromBytes loads the graph as given and says why.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions } from '../src/engine/face/defaults.ts';
import { FaceMesh, faceMeshModel, padsAsConv } from '../src/engine/face/facemesh.ts';
import { MESH_INPUT } from '../src/engine/face/mesh-model.ts';
import { roiCrops, roiFromDetection, roiFromLandmarks, landmarksInRoi } from '../src/engine/face/landmarks.ts';
import { MESH_POINTS, type RawMesh } from '../src/engine/face/mesh-model.ts';
import { rewritePadsAsConv } from '../src/engine/face/pad-conv-rewrite.ts';
import { rewritePRelu } from '../src/engine/face/prelu-rewrite.ts';
import { concatBytes, fields, floatInitializer, intField, intsAttribute, lenField, node, strField, text } from '../src/engine/runtime/onnx-proto.ts';
import { ort } from '../src/engine/runtime/onnx.ts';
import { FACES, faceFixtures } from '../testkit/fixtures.ts';

/** 1e-4 of the eye distance (≈ 0.005 crop px on a 192-px crop); measured: see the log line. */
const MAX_LANDMARK_ERROR = 1e-4;
const MAX_SCORE_ERROR = 1e-5;

/** The op types of a model's graph nodes (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4). */
function opTypes(model: Uint8Array): string[] {
  const graph = fields(model).find((f) => f.field === 7)!;
  return fields(model, graph.payloadStart, graph.end)
    .filter((f) => f.field === 1 && f.wire === 2)
    .map((f) => text(model, fields(model, f.payloadStart, f.end).find((t) => t.field === 4)!));
}

test('all 3 channel Pads of the committed FaceMesh graph are rewritten, with or without the PRelu rewrite', () => {
  const shipped = fs.readFileSync(faceMeshModel().path);
  for (const model of [rewritePRelu(shipped).bytes, shipped]) {
    assert.equal(opTypes(model).filter((op) => op === 'Pad').length, 3);
    const { bytes, count } = rewritePadsAsConv(model);
    assert.equal(count, 3);
    assert.equal(opTypes(bytes).filter((op) => op === 'Pad').length, 0, 'no Pad left');
    assert.equal(opTypes(bytes).length, opTypes(model).length, 'one Conv for each Pad');
    assert.equal(rewritePadsAsConv(bytes).count, 0, 'nothing left to rewrite');
  }
});

let prelu: FaceMesh;
let engine: FaceMesh;
let detector: FaceDetector;
before(async () => {
  [prelu, engine, detector] = await Promise.all([FaceMesh.load(1, { padAsConv: false }), FaceMesh.load(), FaceDetector.load(detectorOptions({}))]);
});
after(async () => {
  await Promise.all([prelu.close(), engine.close(), detector.close()]);
});

const interOcular = (p: Float32Array) => Math.hypot(p[263 * 3] - p[33 * 3], p[263 * 3 + 1] - p[33 * 3 + 1]);

test('the engine loads FaceMesh with its 3 Pads as convolutions', () => {
  assert.deepEqual(engine.padRewrite, { count: 3 });
  assert.deepEqual(prelu.padRewrite, { count: 0 });
});

test('with the Pads as convolutions FaceMesh gives the same landmarks and scores on real crops', async () => {
  let worst = 0;
  let worstScore = 0;
  const compare = (a: RawMesh[], b: RawMesh[], what: string) =>
    a.forEach((r, n) => {
      const iod = interOcular(r.points);
      for (let i = 0; i < MESH_POINTS; i++) worst = Math.max(worst, Math.hypot(b[n].points[i * 3] - r.points[i * 3], b[n].points[i * 3 + 1] - r.points[i * 3 + 1]) / iod);
      worstScore = Math.max(worstScore, Math.abs(r.score - b[n].score));
      assert.ok(worst <= MAX_LANDMARK_ERROR, `${what}: a landmark ${(worst * 100).toExponential(2)} % of the eye distance away`);
      assert.ok(worstScore <= MAX_SCORE_ERROR, `${what}: score ${r.score} vs ${b[n].score}`);
    });
  for (const file of faceFixtures()) {
    const { image } = await decodeImage(fs.readFileSync(path.join(FACES, file)));
    const [face] = await detector.detect(image);
    assert.ok(face, `${file}: a detection`);
    const roi = roiFromDetection(face);
    const crops = roiCrops(image, roi);
    const first = await prelu.runBatch(crops);
    compare(first, await engine.runBatch(crops), `${file}, detector ROI`);
    const pair = roiCrops(image, roiFromLandmarks(landmarksInRoi(first, roi).points), true);
    compare(await prelu.runBatch(pair), await engine.runBatch(pair), `${file}, mirrored pair`);
  }
  console.log(`worst: landmark ${(worst * 100).toExponential(2)} % of the eye distance, score ${worstScore.toExponential(2)}`);
});

// Tiny graphs: x [1, 16, 4, 4] → Conv 1×1 (16) → Pad → Add(·, Conv 1×1 (32) of x) → y [1, 32, 4, 4].
const FLOAT = 1;
const INT64 = 7;
const C = 16;
const K = 16;
const HW = 4;
const valueInfo = (field: number, name: string, dims: number[]) =>
  lenField(field, concatBytes([strField(1, name), lenField(2, lenField(1, concatBytes([intField(1, FLOAT), lenField(2, concatBytes(dims.map((d) => lenField(1, intField(1, d)))))])))]));
const rawInitializer = (name: string, dims: number[], type: number, raw: ArrayBufferView) =>
  lenField(5, concatBytes([...dims.map((d) => intField(1, d)), intField(2, type), strField(8, name), lenField(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))]));
const stringAttribute = (name: string, s: string) => concatBytes([strField(1, name), strField(4, s), intField(20, 3)]); // type STRING
const ramp = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);

interface Tiny {
  mode?: string;
  pads?: number[];
  constant?: number;
  /** Pad the graph input itself (its channels are not traced). */
  padInput?: boolean;
  padsType?: number;
  /** An `axes` input (opset 18): the pads then name only those axes, in that order. */
  axes?: number[];
}
function tiny({ mode = 'constant', pads = [0, 0, 0, 0, 0, K, 0, 0], constant, padInput = false, padsType = INT64, axes }: Tiny = {}): Uint8Array {
  const padsRaw = padsType === INT64 ? BigInt64Array.from(pads.map(BigInt)) : Float32Array.from(pads);
  const initializers = [floatInitializer('w', [C, C, 1, 1], ramp(C * C, 0.2)), floatInitializer('v', [C + K, C, 1, 1], ramp((C + K) * C, 0.1)), rawInitializer('pads', [8], padsType, padsRaw)];
  const padInputs = ['a', 'pads'];
  if (constant !== undefined) {
    initializers.push(floatInitializer('value', [], Float32Array.of(constant)));
    padInputs.push('value');
  }
  if (axes) {
    if (constant === undefined) padInputs.push('');
    initializers.push(rawInitializer('axes', [axes.length], INT64, BigInt64Array.from(axes.map(BigInt))));
    padInputs.push('axes');
  }
  if (padInput) padInputs[0] = 'x';
  const nodes = [
    node('Conv', ['x', 'w'], ['a'], 'conv', [intsAttribute('kernel_shape', [1, 1])]),
    node('Pad', padInputs, ['p'], 'channel_padding', [stringAttribute('mode', mode)]),
    node('Conv', ['x', 'v'], ['b'], 'conv2', [intsAttribute('kernel_shape', [1, 1])]),
    node('Add', ['p', 'b'], ['y'], 'add'),
  ];
  const graph = concatBytes([...nodes, strField(2, 'tiny'), ...initializers, valueInfo(11, 'x', [1, C, HW, HW]), valueInfo(12, 'y', [1, C + K, HW, HW])]);
  return concatBytes([intField(1, 8), lenField(8, intField(2, 13)), lenField(7, graph)]);
}

async function run(bytes: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  try {
    const { y } = await session.run({ x: new ort.Tensor('float32', ramp(C * HW * HW, 1), [1, C, HW, HW]) });
    assert.deepEqual(y.dims, [1, C + K, HW, HW]);
    return y.data as Float32Array;
  } finally {
    await session.release();
  }
}

test('a tiny channel Pad + Add: rewritten into a Conv, the same output', async () => {
  const plain = tiny();
  const { bytes, count } = rewritePadsAsConv(plain);
  assert.equal(count, 1);
  assert.deepEqual(opTypes(bytes), ['Conv', 'Conv', 'Conv', 'Add']);
  const [a, b] = [await run(plain), await run(bytes)];
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
  assert.ok(worst <= 1e-6, `outputs ${worst} apart`);
  // The zero constant given explicitly is the same Pad.
  assert.equal(rewritePadsAsConv(tiny({ constant: 0 })).count, 1);
});

const leftAlone: [string, Tiny][] = [
  ['mode reflect', { mode: 'reflect', pads: [0, 0, 0, 0, 0, K, 0, 0] }],
  ['a constant 1', { constant: 1 }],
  ['padding before the channels', { pads: [0, K, 0, 0, 0, 0, 0, 0] }],
  ['spatial padding as well', { pads: [0, 0, 0, 1, 0, K, 0, 0] }],
  ['an input of unknown channels (the graph input)', { padInput: true }],
  // With axes [1, 0, 2, 3] these pads would put the K channels on the batch axis, not after the channels.
  ['an axes input', { axes: [1, 0, 2, 3] }],
];
for (const [what, options] of leftAlone) {
  test(`a Pad with ${what}: the model comes back unchanged`, () => {
    const model = tiny(options);
    const { bytes, count } = rewritePadsAsConv(model);
    assert.equal(count, 0);
    assert.equal(bytes, model, 'the same bytes');
  });
}

test('pads that are not int64: the rewrite throws, and the loader keeps the graph as given, saying why', () => {
  const model = tiny({ padsType: FLOAT });
  assert.throws(() => rewritePadsAsConv(model), /not int64/);
  const got = padsAsConv(model);
  assert.equal(got.bytes, model, 'the same bytes');
  assert.equal(got.count, 0);
  assert.match(got.skipped ?? '', /not int64/);
  assert.deepEqual(padsAsConv(tiny()).count, 1);
});

test('ORT refuses the rewritten graph: FaceMesh loads the graph as given, saying why', async () => {
  // The committed graph (PRelu rewritten, as the engine loads it) with one more initializer, named
  // as the rewrite names its first [I; 0] weight: the rewrite still applies, ORT rejects the clash.
  const model = rewritePRelu(fs.readFileSync(faceMeshModel().path)).bytes;
  const top = fields(model);
  const graph = top.find((f) => f.field === 7)!;
  const taken = floatInitializer('StatefulPartitionedCall/model_1/channel_padding_1/Pad/as_conv/identity', [1], Float32Array.of(1));
  const clashing = concatBytes(top.map((f) => (f === graph ? lenField(7, concatBytes([model.subarray(graph.payloadStart, graph.end), taken])) : model.subarray(f.start, f.end))));
  assert.equal(rewritePadsAsConv(clashing).count, 3, 'the rewrite itself goes through');
  const mesh = await FaceMesh.fromBytes(clashing, 1, true);
  try {
    assert.equal(mesh.padRewrite.count, 0);
    assert.match(mesh.padRewrite.skipped ?? '', /refused the rewritten graph/);
    const blank = { width: MESH_INPUT, height: MESH_INPUT, data: new Uint8Array(MESH_INPUT * MESH_INPUT * 3) };
    const [a] = await mesh.runBatch([blank]);
    const [b] = await prelu.runBatch([blank]);
    assert.deepEqual(a.points, b.points, 'the graph as given: the PRelu-only session\'s landmarks');
  } finally {
    await mesh.close();
  }
});
