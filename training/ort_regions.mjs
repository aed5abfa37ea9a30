// Run a region-pooling ONNX model (training/backbone/net.py, regions=True) with onnxruntime-node.
//   node training/ort_regions.mjs MODEL.onnx IN.u8 N W.f32 R OUT_DIR
// IN.u8: N uint8 NHWC crops at the model's input side (the spec's when dynamic); W.f32: float32 [N,R,G] region weights.
// Writes OUT_DIR/<output>.f32 for every output, and OUT_DIR/meta.json {inputs: {name: shape}}.
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SPEC = JSON.parse(readFileSync(new URL('../models/spec.json', import.meta.url), 'utf8')).input;
// the side: the model's own input shape (3.1.x: 192), the spec's when dynamic
let S = SPEC.size;
const [model, inFile, nStr, wFile, rStr, outDir] = process.argv.slice(2);
const n = Number(nStr);
const r = Number(rStr);
const u8 = new Uint8Array(readFileSync(inFile));
const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const dim = sess.inputMetadata?.find((m) => m.name === 'input')?.shape?.[2];
if (typeof dim === 'number' && dim > 0) S = dim;
const x = new Float32Array(n * 3 * S * S);
for (let b = 0; b < n; b++) {
  for (let i = 0; i < S * S; i++) {
    for (let c = 0; c < 3; c++) x[b * 3 * S * S + c * S * S + i] = (u8[(b * S * S + i) * 3 + c] / 255 - SPEC.mean[c]) / SPEC.std[c];
  }
}
const wBuf = readFileSync(wFile);
const w = new Float32Array(wBuf.buffer, wBuf.byteOffset, wBuf.byteLength / 4);
const out = await sess.run({ input: new ort.Tensor('float32', x, [n, 3, S, S]), region_weights: new ort.Tensor('float32', w, [n, r, w.length / (n * r)]) });
for (const [name, t] of Object.entries(out)) writeFileSync(path.join(outDir, `${name}.f32`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify({ inputs: Object.fromEntries(sess.inputMetadata.map((m) => [m.name, m.shape])) }));
await sess.release();
