/**
 * The pretrained backbone's converter (training/backbone/): nsfwjs@4.3.0's MobileNetV2, a
 * TensorFlow.js layers model with uint8-quantised weights, becomes a PyTorch module and then
 * ONNX. On real face crops made by the engine, at 224 (3.0.0's input) and 192 (3.1.0's), three
 * independent runtimes agree to 1e-4 on the pooled 1280 features, the pooled block-13 features
 * (576) and the network's own 5 outputs: TensorFlow.js itself (tfjs-layers,
 * CPU backend, which loads and dequantises nsfwjs's modules on its own), the converted PyTorch
 * module, and its ONNX export on onnxruntime-node (the engine's runtime).
 * Needs Debian's python3-torch and python3-onnx; nsfwjs is a devDependency only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { modelInputFromCrop } from '../src/cli/crop.ts';
import { fixture, REPO } from '../testkit/fixtures.ts';

const run = promisify(execFile);
const PHOTOS = ['obama.jpg', 'biden2.jpg', 'sergey.png'];
/** 224: 3.0.0's input; 192: 3.1.0's (the converter's TensorFlow "same" padding must hold there too). */
const SIDES = [224, 192];
const TOLERANCE = 1e-4;

interface Outputs {
  features: number[][];
  probabilities: number[][];
  /** Global average of block_13_expand_relu (576), the mid-level features of training/backbone/multi.py. */
  block13: number[][];
}

let engine: Engine;
let dir: string;
const results = new Map<number, { tfjs: Outputs; torch: Outputs; onnx: Outputs }>();

async function runSide(side: number): Promise<{ tfjs: Outputs; torch: Outputs; onnx: Outputs }> {
  // NHWC RGB in [0, 1]: the tfjs model's own input convention
  const input = new Float32Array(PHOTOS.length * side * side * 3);
  for (const [n, photo] of PHOTOS.entries()) {
    const prepared = await engine.prepare(fixture('faces', photo));
    const crop = modelInputFromCrop(prepared.crop, side);
    for (let i = 0; i < crop.data.length; i++) input[n * side * side * 3 + i] = crop.data[i] / 255;
  }
  const file = path.join(dir, `input-${side}.f32`);
  fs.writeFileSync(file, Buffer.from(input.buffer));
  const onnxFile = path.join(dir, `mobilenet-${side}.onnx`);
  const opts = { cwd: REPO, maxBuffer: 64 * 1024 * 1024 };
  const [js, py] = await Promise.all([
    run('node', [path.join(REPO, 'training/backbone/tfjs_run.mjs'), file, String(PHOTOS.length), String(side)], opts),
    run('/usr/bin/python3', ['-m', 'training.backbone.parity', file, String(PHOTOS.length), onnxFile, String(side)], opts),
  ]);
  const tfjs = JSON.parse(js.stdout.trim().split('\n').at(-1)!) as Outputs;
  const torch = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as Outputs;

  const nchw = new Float32Array(input.length);
  const plane = side * side;
  for (let n = 0; n < PHOTOS.length; n++) {
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) nchw[n * plane * 3 + c * plane + i] = input[n * plane * 3 + i * 3 + c];
  }
  const session = await ort.InferenceSession.create(onnxFile);
  const out = await session.run({ input: new ort.Tensor('float32', nchw, [PHOTOS.length, 3, side, side]) });
  const rows = (t: ort.Tensor, width: number) => PHOTOS.map((_, n) => [...(t.data as Float32Array).subarray(n * width, (n + 1) * width)]);
  // the network's own 5 outputs exist at 224 only (its head pools a fixed 7x7 map)
  const onnx = { features: rows(out.features, 1280), probabilities: side === 224 ? rows(out.probabilities, 5) : [], block13: rows(out.block13, 576) };
  await session.release();
  return { tfjs, torch, onnx };
}

before(async () => {
  engine = await createEngine({});
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-backbone-'));
  for (const side of SIDES) results.set(side, await runSide(side));
});

after(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let max = 0;
  a.forEach((row, n) => {
    assert.equal(row.length, b[n].length);
    row.forEach((v, i) => (max = Math.max(max, Math.abs(v - b[n][i]))));
  });
  return max;
}

for (const side of SIDES) {
  test(`${side}x${side}: the converted network has the tfjs shapes: 1280 pooled features, 576 block-13 features${side === 224 ? ' and 5 softmax outputs' : ''} per crop`, () => {
    const { tfjs, torch, onnx } = results.get(side)!;
    for (const out of [tfjs, torch, onnx]) {
      assert.equal(out.features.length, PHOTOS.length);
      assert.ok(out.features.every((r) => r.length === 1280));
      assert.ok(out.block13.every((r) => r.length === 576));
      assert.equal(out.probabilities.length, side === 224 ? PHOTOS.length : 0);
      assert.ok(out.probabilities.every((r) => r.length === 5 && Math.abs(r.reduce((s, v) => s + v, 0) - 1) < 1e-5));
    }
    // real crops give informative features, not a constant vector
    assert.ok(maxDiff([tfjs.features[0]], [tfjs.features[1]]) > 0.1);
    assert.ok(maxDiff([tfjs.block13[0]], [tfjs.block13[1]]) > 0.1);
  });

  for (const [a, b] of [['tfjs', 'torch'], ['torch', 'onnx'], ['tfjs', 'onnx']] as const) {
    test(`${side}x${side}: ${a} and ${b} agree to ${TOLERANCE} on real face crops (features, block-13 features and outputs)`, () => {
      const all = results.get(side)!;
      const f = maxDiff(all[a].features, all[b].features);
      const m = maxDiff(all[a].block13, all[b].block13);
      const p = side === 224 ? maxDiff(all[a].probabilities, all[b].probabilities) : 0;
      assert.ok(f <= TOLERANCE, `features max |Δ| ${f}`);
      assert.ok(m <= TOLERANCE, `block-13 features max |Δ| ${m}`);
      assert.ok(p <= TOLERANCE, `probabilities max |Δ| ${p}`);
    });
  }
}
