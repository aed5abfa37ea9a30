/**
 * Where the pipeline's models stage goes (issue #14): this tree and `--base` (a second checkout,
 * e.g. `git archive main | tar -x -C tmp/base`) alternated in one process on one photo.
 *   node --import tsx bench/models-stage.bench.ts --base tmp/base [--photo obama-1080p.jpg] [--runs 60]
 * Two tables, min / median / mean ms:
 * 1. the stage's own work as the pipeline does it (region weights on the model's grid, the input
 *    tensor from the 384² measure crop, one forward shared by both heads), called back to back,
 *    beside the bare forward on an input already at the model's side (what `npm run bench` calls
 *    "Per face, both tasks"); the two sides' outputs must be identical;
 * 2. the `models` lap inside analyses (prepare, then analyzePrepared, as `engine.analyze` runs
 *    them), split into: the input tensor and the session.run call (synchronous), the hop to
 *    ONNX Runtime's setImmediate (onnxruntime-node runs the session on the main thread in a
 *    setImmediate callback), the forward itself, and the rest (weights, softmax, region fields);
 *    with the garbage collector's time (PerformanceObserver 'gc' entries) inside the hop and the lap.
 * The hop is the analysis's first turn of the event loop after the regions stage, so a GC task
 * that V8 scheduled during the earlier stages (the end of incremental marking) runs there.
 * Timing is wall clock: run it on a quiet machine, or compare minima.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';
import type { RgbImage } from '../src/engine/image.ts';

const { values } = commandLine({ options: { base: { type: 'string' }, photo: { type: 'string', default: 'obama-1080p.jpg' }, runs: { type: 'string', default: '60' } } });
if (!values.base) throw new Error('--base DIR (a second checkout of the engine) is required');
const runs = Number(values.runs);
const bytes = fs.readFileSync(path.join(FACES, values.photo));

// Parts of the current models lap, by name (only while `inLap`).
let inLap = false;
let parts: Record<string, number> = {};
let hops: [number, number][] = [];
const add = (k: string, v: number) => {
  if (inLap) parts[k] = (parts[k] ?? 0) + v;
};
const setImmediateOf = globalThis.setImmediate;
// Every setImmediate in the lap is ONNX Runtime's run (backend.js): time to the callback, and the callback.
(globalThis as unknown as { setImmediate: (cb: () => void) => unknown }).setImmediate = (cb: () => void) => {
  if (!inLap) return setImmediateOf(cb);
  const scheduled = performance.now();
  return setImmediateOf(() => {
    const t = performance.now();
    add('hop to the run', t - scheduled);
    hops.push([scheduled, t]);
    cb();
    add('forward (session run)', performance.now() - t);
  });
};
const gcs: { start: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

async function load(root: string) {
  const imp = (p: string) => import(path.join(path.resolve(root), 'src/engine', p));
  const [{ createEngine }, { SharedSession }, { regionPlanner }, { Classifier }] = await Promise.all([
    imp('index.ts'), imp('models/shared-session.ts'), imp('models/acne-regions.ts'), imp('models/classifier.ts'),
  ]);
  // The input tensor alone (a private method: part of the synchronous call below).
  const proto = Classifier.prototype as { tensor: (...a: unknown[]) => unknown };
  const tensor = proto.tensor;
  proto.tensor = function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const out = tensor.apply(this, args);
    add('of which the input tensor', performance.now() - t);
    return out;
  };
  const run = SharedSession.prototype.run;
  SharedSession.prototype.run = function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const out = run.apply(this, args);
    add('input tensors + run call', performance.now() - t);
    return out;
  };
  return { engine: await createEngine({}), regionPlanner };
}
const sides = { base: await load(values.base), new: await load(REPO) };
type Side = typeof sides.new;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
const cell = (xs: number[] = []) => (xs.length ? `${quantile(xs, 0).toFixed(2)} / ${quantile(xs, 0.5).toFixed(2)} / ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)}` : '–');

// 1. The stage's own work, back to back, on this tree's prepared face.
const prepared = await sides.new.engine.prepare(bytes);
if (prepared.mode !== 'face') throw new Error(`${values.photo}: no face`);
const masks = prepared.regions.measure.regions;
const heads = (s: Side) => (['acne_binary', 'skin_condition'] as const).map((t) => {
  const m = s.engine.registry.forTask(t);
  if (!('classifier' in m)) throw new Error(`${t}: ${m.reason}`);
  return m.classifier;
});
const own = async (s: Side, crop: RgbImage) => {
  const classifiers = heads(s);
  const plan = s.regionPlanner({ mode: 'face', masks })(classifiers[0].regionGrid);
  const face = { ...crop }; // a new crop object: heads sharing a file share one run per crop object
  return Promise.all(classifiers.map((c) => c.classifyRegions(face, plan.weights)));
};
const small = heads(sides.new)[0].prepare(prepared.crop);
const t1: Record<string, number[]> = { base: [], new: [], bare: [] };
let identical = true;
for (let i = 0; i < runs * 3 + 10; i++) {
  const outs: string[] = [];
  for (const side of ['base', 'new'] as const) {
    const t = performance.now();
    const out = await own(sides[side], prepared.crop);
    if (i >= 10) t1[side].push(performance.now() - t);
    outs.push(JSON.stringify(out.map((o) => [Array.from(o.probabilities), o.regionLogits?.map((row: Float32Array) => Array.from(row))])));
  }
  identical &&= outs[0] === outs[1];
  const t = performance.now();
  await own(sides.new, small);
  if (i >= 10) t1.bare.push(performance.now() - t);
}
console.log(`${values.photo}: the models stage's own work, ${runs * 3} alternating calls (min / median / mean ms); outputs identical: ${identical}`);
console.log(`| what | base | new |\n|---|---|---|`);
console.log(`| weights + input from the ${prepared.crop.width}² crop + forward | ${cell(t1.base)} | ${cell(t1.new)} |`);
console.log(`| weights + forward on a ${small.width}² input (this tree) | – | ${cell(t1.bare)} |`);

// 2. The models lap inside analyses, split.
const t2: Record<'base' | 'new', Record<string, number[]>> = { base: {}, new: {} };
for (let i = 0; i < runs + 3; i++) {
  for (const side of ['base', 'new'] as const) {
    const tp = performance.now();
    const face = await sides[side].engine.prepare(bytes);
    parts = {};
    hops = [];
    inLap = true;
    const t0 = performance.now();
    const r = await sides[side].engine.analyzePrepared(face);
    inLap = false;
    await new Promise((res) => setTimeout(res, 1)); // the gc observer delivers its entries
    if (i < 3) continue;
    const lap = r.timings_ms.models;
    const gcIn = (a: number, b: number) => gcs.filter((g) => g.start >= a && g.start < b).reduce((s, g) => s + g.ms, 0);
    const sync = (parts['input tensors + run call'] ?? 0) + (parts['hop to the run'] ?? 0) + (parts['forward (session run)'] ?? 0);
    const row: Record<string, number> = {
      'models lap': lap,
      ...parts,
      'rest (weights, softmax, region fields)': lap - sync,
      'GC inside the hop': hops.reduce((s, [a, b]) => s + gcIn(a, b), 0),
      'GC inside the lap': gcIn(t0, t0 + lap),
      'GC in the whole analysis (prepare → analyzePrepared)': gcIn(tp, performance.now()),
    };
    for (const [k, v] of Object.entries(row)) (t2[side][k] ??= []).push(v);
  }
}
console.log(`\n${values.photo}: the models lap in prepare → analyzePrepared, ${runs} alternating runs (min / median / mean ms)`);
console.log(`| part | base | new |\n|---|---|---|`);
for (const k of Object.keys(t2.new)) console.log(`| ${k} | ${cell(t2.base[k])} | ${cell(t2.new[k])} |`);
await Promise.all([sides.base.engine.close(), sides.new.engine.close()]);
