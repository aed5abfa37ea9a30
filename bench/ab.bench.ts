/**
 * A/B engine timing on a noisy machine: two source trees of the engine (this one and `--base`,
 * e.g. main unpacked with `git archive main | tar -x -C tmp/base`) are loaded in one process and
 * called in alternation on the same photo, so both see the same load. Prints, per stage, the
 * minimum and the median of each (the minimum is the least disturbed by other processes).
 *   node --import tsx bench/ab.bench.ts --base tmp/base [--only obama-1080p] [--runs 30]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';

const { values } = commandLine({
  options: { base: { type: 'string' }, only: { type: 'string' }, runs: { type: 'string', default: '30' } },
});
if (!values.base) throw new Error('--base DIR (a second checkout of the engine) is required');
const runs = Number(values.runs);

type Analyze = (bytes: Uint8Array) => Promise<{ timings_ms: Record<string, number> }>;
async function load(root: string): Promise<{ analyze: Analyze; close(): Promise<void> }> {
  const { createEngine } = await import(path.join(path.resolve(root), 'src/engine/index.ts'));
  return createEngine({});
}
const engines = { base: await load(values.base), new: await load(REPO) };

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const fixtures = faceFixtures().filter((f) => !values.only || f.includes(values.only));
for (const name of fixtures) {
  const bytes = fs.readFileSync(path.join(FACES, name));
  const stages: Record<'base' | 'new', Record<string, number[]>> = { base: {}, new: {} };
  for (let i = 0; i < runs + 3; i++) {
    for (const side of ['base', 'new'] as const) {
      const t0 = performance.now();
      const r = await engines[side].analyze(bytes);
      const e2e = performance.now() - t0;
      if (i < 3) continue; // warm-up
      for (const [k, v] of Object.entries({ ...r.timings_ms, end_to_end: e2e })) if (k !== 'total') (stages[side][k] ??= []).push(v);
    }
  }
  console.log(`\n${name} (${runs} alternating runs; min / median ms)`);
  console.log('| stage | base | new |\n|---|---|---|');
  for (const k of Object.keys(stages.new)) {
    const cell = (xs: number[] = []) => (xs.length ? `${Math.min(...xs).toFixed(1)} / ${quantile(xs, 0.5).toFixed(1)}` : '–');
    console.log(`| ${k} | ${cell(stages.base[k])} | ${cell(stages.new[k])} |`);
  }
}
await Promise.all([engines.base.close(), engines.new.close()]);
