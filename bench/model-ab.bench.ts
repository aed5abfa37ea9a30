/**
 * Per-face model time of two registered versions, A/B in one process, alternating (the machine is
 * shared, so both must see the same load): both tasks on one crop with the face's region rows, as
 * the pipeline runs them (the "Per face, both tasks … incl. acne per region" row of `npm run bench`),
 * on one intra-op thread. Prints the minimum and the median of each (the minimum is the least
 * disturbed by other processes) and the ratio B/A.
 *   node --import tsx bench/model-ab.bench.ts --a 3.1.1 --b 3.1.2 [--runs 200] [--photo obama-1080p.jpg]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { createEngine } from '../src/engine/index.ts';
import { regionPlanner } from '../src/engine/models/acne-regions.ts';
import { FACES } from '../testkit/fixtures.ts';

const { values } = commandLine({
  options: { a: { type: 'string' }, b: { type: 'string' }, runs: { type: 'string', default: '200' }, photo: { type: 'string', default: 'obama-1080p.jpg' } },
});
if (!values.a || !values.b) throw new Error('--a VERSION --b VERSION are required');
const runs = Number(values.runs);
const engine = await createEngine({ intraOpThreads: 1, loadVersions: 'all' });
const prepared = await engine.prepare(fs.readFileSync(path.join(FACES, values.photo)));
if (prepared.mode !== 'face') throw new Error(`${values.photo}: no face`);
const masks = prepared.regions.measure.regions;

const side = (version: string) => {
  const classifiers = (['acne_binary', 'skin_condition'] as const).map((t) => {
    const m = engine.registry.forTask(t, version);
    if (!('classifier' in m)) throw new Error(`${t}@${version}: ${m.reason}`);
    return m.classifier;
  });
  const crop = classifiers[0].prepare(prepared.crop);
  const grid = classifiers[0].regionGrid;
  if (grid === null) throw new Error(`${version} has no region input`);
  return { version, classifiers, crop, grid, times: [] as number[] };
};
const sides = [side(values.a), side(values.b)];

for (let i = 0; i < runs + 10; i++) {
  for (const s of i % 2 ? [...sides].reverse() : sides) {
    const face = { ...s.crop }; // a new crop object: heads sharing a file cache per crop
    const t = performance.now();
    const plan = regionPlanner({ mode: 'face', masks })(s.grid);
    await Promise.all(s.classifiers.map((c) => c.classifyRegions(face, plan.weights)));
    if (i >= 10) s.times.push(performance.now() - t); // 10 warm-up rounds
  }
}
await engine.close();
const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const [a, b] = sides.map((s) => ({ version: s.version, min: q(s.times, 0), median: q(s.times, 0.5) }));
console.log(JSON.stringify({ photo: values.photo, runs, intra_op_threads: 1, a, b, ratio_b_over_a: { min: b.min / a.min, median: b.median / a.median } }));
