// Run an ONNX model with onnxruntime-node (the engine's runtime) on uint8 NHWC SxS RGB crops
// (S: the side implied by the input file's length and N; for bench, the model's own input side).
//   node training/ort_run.mjs logits MODEL.onnx IN.u8 N OUT.f32 [OUTPUT] -> output `OUTPUT` (default logits) float32 [N,C]
//   node training/ort_run.mjs ranges MODEL.onnx IN.u8 N OUT.json     -> {output name: [min, max]} over all outputs
//   node training/ort_run.mjs bench  MODEL.onnx [MODEL2.onnx ...]     -> JSON ms per call at batch 1 and 8
//   node training/ort_run.mjs ab     MODEL.onnx MODEL2.onnx [ROUNDS]  -> JSON median/min ms at batch 1 on ONE intra-op
//        thread (one core, as #12's budget), the models called in alternation so both see the same machine load
// Normalisation: (x/255 - mean)/std, NCHW, with the model spec's mean/std (models/spec.json).
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const SPEC = JSON.parse(readFileSync(new URL('../models/spec.json', import.meta.url), 'utf8')).input;
const MEAN = SPEC.mean;
const STD = SPEC.std;
let S = SPEC.size;

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

/** The model's square input side from its ONNX input shape [N,3,S,S] (the spec's when dynamic). */
function modelSide(sess) {
  const meta = sess.inputMetadata?.[0];
  const dim = meta?.shape?.[2];
  return typeof dim === 'number' && dim > 0 ? dim : SPEC.size;
}

const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const [mode, model, ...rest] = process.argv.slice(2);

if (mode === 'ab') {
  const [other, roundsStr = '200'] = rest;
  const rounds = Number(roundsStr);
  const one = { ...opts, intraOpNumThreads: 1 };
  const sessions = [];
  for (const m of [model, other]) {
    const sess = await ort.InferenceSession.create(m, one);
    S = modelSide(sess);
    const x = toTensor(new Uint8Array(S * S * 3).map((_, i) => (i * 37) % 256), 0, 1);
    for (let i = 0; i < 10; i++) await sess.run({ input: x });
    sessions.push({ m, sess, x, times: [] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...sessions].reverse() : sessions) {
      const t = process.hrtime.bigint();
      await s.sess.run({ input: s.x });
      s.times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const res = {};
  for (const s of sessions) {
    s.times.sort((a, b) => a - b);
    res[s.m] = { batch1_median_ms: s.times[Math.floor(s.times.length / 2)], batch1_min_ms: s.times[0], runs: s.times.length, intra_op_threads: 1 };
    await s.sess.release();
  }
  console.log(JSON.stringify(res));
} else if (mode === 'bench') {
  const res = {};
  for (const m of [model, ...rest]) {
    const sess = await ort.InferenceSession.create(m, opts);
    S = modelSide(sess);
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
  S = Math.round(Math.sqrt(u8.length / (3 * n)));
  if (n * S * S * 3 !== u8.length) throw new Error(`${inFile}: ${u8.length} bytes are not ${n} square RGB crops`);
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
