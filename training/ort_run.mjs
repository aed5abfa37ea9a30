// Run an ONNX model with onnxruntime-node (the engine's runtime) on uint8 NHWC 224x224 RGB crops.
//   node training/ort_run.mjs logits MODEL.onnx IN.u8 N OUT.f32 [OUTPUT] -> output `OUTPUT` (default logits) float32 [N,C]
//   node training/ort_run.mjs ranges MODEL.onnx IN.u8 N OUT.json     -> {output name: [min, max]} over all outputs
//   node training/ort_run.mjs bench  MODEL.onnx [MODEL2.onnx ...]     -> JSON ms per call at batch 1 and 8
// Normalisation: (x/255 - mean)/std, NCHW, with the model spec's mean/std (models/spec.json).
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const SPEC = JSON.parse(readFileSync(new URL('../models/spec.json', import.meta.url), 'utf8')).input;
const MEAN = SPEC.mean;
const STD = SPEC.std;
const S = SPEC.size;

function toTensor(u8, start, n) {
  const out = new Float32Array(n * 3 * S * S);
  for (let b = 0; b < n; b++) {
    const src = (start + b) * S * S * 3;
    const dst = b * 3 * S * S;
    for (let i = 0; i < S * S; i++) {
      for (let c = 0; c < 3; c++) {
        out[dst + c * S * S + i] = (u8[src + i * 3 + c] / 255 - MEAN[c]) / STD[c];
      }
    }
  }
  return new ort.Tensor('float32', out, [n, 3, S, S]);
}

const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const [mode, model, ...rest] = process.argv.slice(2);

if (mode === 'bench') {
  const res = {};
  for (const m of [model, ...rest]) {
    const sess = await ort.InferenceSession.create(m, opts);
    res[m] = {};
    for (const bs of [1, 8]) {
      const x = toTensor(new Uint8Array(bs * S * S * 3).map((_, i) => (i * 37) % 256), 0, bs);
      for (let i = 0; i < 5; i++) await sess.run({ input: x });
      const times = [];
      for (let i = 0; i < (bs === 1 ? 50 : 20); i++) {
        const t = process.hrtime.bigint();
        await sess.run({ input: x });
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      times.sort((a, b) => a - b);
      res[m][`batch${bs}_median_ms`] = times[Math.floor(times.length / 2)];
    }
    await sess.release();
  }
  console.log(JSON.stringify(res));
} else {
  const [inFile, nStr, outFile, outputName = 'logits'] = rest;
  const n = Number(nStr);
  const u8 = new Uint8Array(readFileSync(inFile));
  const sess = await ort.InferenceSession.create(model, mode === 'ranges' ? { ...opts, graphOptimizationLevel: 'disabled' } : opts);
  const BS = 16;
  if (mode === 'logits') {
    const chunks = [];
    for (let s = 0; s < n; s += BS) {
      const r = await sess.run({ input: toTensor(u8, s, Math.min(BS, n - s)) });
      chunks.push(r[outputName].data);
    }
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const all = new Float32Array(total);
    let o = 0;
    for (const c of chunks) { all.set(c, o); o += c.length; }
    writeFileSync(outFile, Buffer.from(all.buffer));
  } else if (mode === 'ranges') {
    const ranges = {};
    for (let s = 0; s < n; s += BS) {
      const r = await sess.run({ input: toTensor(u8, s, Math.min(BS, n - s)) });
      for (const [name, t] of Object.entries(r)) {
        let lo = Infinity, hi = -Infinity;
        for (const v of t.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
        const prev = ranges[name] ?? [Infinity, -Infinity];
        ranges[name] = [Math.min(prev[0], lo), Math.max(prev[1], hi)];
      }
    }
    // also the input
    writeFileSync(outFile, JSON.stringify(ranges));
  } else {
    console.error('usage: ort_run.mjs logits|ranges|bench ...');
    process.exit(2);
  }
}
