/**
 * `npm run bench`: the engine's speed and memory on the real face fixtures.
 *   - model load + warm-up time;
 *   - per stage and end to end (bytes in → result out, both models included): median and p95;
 *   - the two skin models alone at batch 1 and batch 8;
 *   - CLI-style batch throughput on a pool of worker threads;
 *   - peak RSS.
 * Options: --runs N (per fixture, default 30), --only NAME, --workers N (default 2), --json.
 * Run it on an otherwise idle machine; it is a measurement, not a test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/index.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    only: { type: 'string' },
    workers: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const workers = Number(values.workers);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const fmt = (v: number) => v.toFixed(1);

const report: Record<string, unknown> = {
  machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, Node ${process.version}`,
  date: new Date().toISOString(),
};

const loadStart = performance.now();
const engine = await createEngine({ loadVersions: 'all' }); // every version, for the per-model rows below
report.load_and_warmup_ms = Math.round(performance.now() - loadStart);
report.models = engine.info().models;

// Per fixture: per-stage and end-to-end timings.
const fixtures = faceFixtures().filter((f) => !values.only || f.includes(values.only));
const perFixture: Record<string, Record<string, { median: number; p95: number }>> = {};
for (const name of fixtures) {
  const bytes = fs.readFileSync(path.join(FACES, name));
  for (let i = 0; i < 3; i++) await engine.analyze(bytes); // warm the JIT and caches
  const stages: Record<string, number[]> = {};
  const e2e: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const result = await engine.analyze(bytes);
    e2e.push(performance.now() - t0);
    for (const [stage, ms] of Object.entries(result.timings_ms)) (stages[stage] ??= []).push(ms);
  }
  perFixture[name] = Object.fromEntries(
    [...Object.entries(stages), ['end_to_end', e2e] as const].map(([k, xs]) => [k, { median: quantile(xs, 0.5), p95: quantile(xs, 0.95) }]),
  );
}
report.per_fixture = perFixture;

// The skin models alone, on an aligned face crop.
const prepared = await engine.prepare(fs.readFileSync(path.join(FACES, 'obama-1080p.jpg')));
const modelTimes: Record<string, unknown> = {};
for (const m of engine.registry.loadedModels()) {
  const crop: RgbImage = m.classifier.prepare(prepared.crop);
  const b1: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await m.classifier.classify([{ ...crop }]); // a new crop object: heads sharing a file cache per crop
    b1.push(performance.now() - t);
  }
  const batch = Array.from({ length: 8 }, () => crop);
  const t8 = performance.now();
  for (let i = 0; i < 10; i++) await m.classifier.classify(batch);
  const perImage8 = (performance.now() - t8) / 80;
  modelTimes[`${m.entry.name}@${m.entry.version}`] = {
    batch1_median_ms: quantile(b1, 0.5),
    batch8_ms_per_image: perImage8,
    batch8_images_per_s: 1000 / perImage8,
  };
}
report.skin_models = modelTimes;

// Per face: both default models (acne + condition) on one crop, as the pipeline runs them
// (heads sharing one file run its backbone once). Measured on 1 intra-op thread (one core).
const oneCore = await createEngine({ intraOpThreads: 1 });
const perFace: number[] = [];
const defaults = (['acne_binary', 'skin_condition'] as const).map((t) => oneCore.registry.forTask(t)).filter((m) => 'classifier' in m);
if (defaults.length === 2) {
  const classifiers = defaults.map((m) => m.classifier);
  const crop = classifiers[0].prepare(prepared.crop);
  for (let i = 0; i < 60; i++) {
    const face = { ...crop };
    const t = performance.now();
    await Promise.all(classifiers.map((c) => c.classify([face])));
    if (i >= 10) perFace.push(performance.now() - t);
  }
  report.per_face_models = {
    models: defaults.map((m) => `${m.entry.name}@${m.entry.version}`),
    intra_op_threads: 1,
    median_ms: quantile(perFace, 0.5),
    p95_ms: quantile(perFace, 0.95),
  };
}
await oneCore.close();
await engine.close();

// Batch throughput on the worker pool (what `skinsight analyze` does with many files).
const pool = await createEnginePool({ workers });
const batchFiles = fixtures.map((f) => fs.readFileSync(path.join(FACES, f)));
const total = Math.max(60, batchFiles.length * 6);
const tb = performance.now();
let next = 0;
// A sliding window of 2 jobs per worker, as the CLI keeps.
await Promise.all(
  Array.from({ length: workers * 2 }, async () => {
    while (next < total) await pool.analyze(batchFiles[next++ % batchFiles.length]);
  }),
);
report.batch = { workers, photos: total, photos_per_s: total / ((performance.now() - tb) / 1000) };
await pool.close();

report.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
// The engine's own figure: one engine in a process of its own (bench/engine-rss.ts).
report.one_engine = JSON.parse(
  execFileSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench/engine-rss.ts'), '--json'], { encoding: 'utf8' }).trim().split('\n').at(-1)!,
);

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`# skinsight engine benchmark\n${report.machine}, ${report.date}\n`);
  console.log(`Model load + warm-up: ${report.load_and_warmup_ms} ms`);
  const one = report.one_engine as { peak_rss_mb: number; after_imports_mb: number; after_load_mb: number };
  console.log(`Peak RSS, one engine in its own process (all fixtures ×3): ${one.peak_rss_mb} MB (after imports ${one.after_imports_mb}, after model load ${one.after_load_mb})`);
  console.log(`Peak RSS of this bench process (3 engines + a ${workers}-worker pool): ${report.peak_rss_mb} MB\n`);
  const stageNames = ['decode', 'detect', 'landmarks', 'regions', 'models', 'measures', 'end_to_end'];
  console.log(`| fixture | ${stageNames.join(' | ')} |`);
  console.log(`|---|${stageNames.map(() => '---').join('|')}|`);
  for (const [name, stats] of Object.entries(perFixture)) {
    console.log(`| ${name} | ${stageNames.map((s) => (stats[s] ? `${fmt(stats[s].median)} / ${fmt(stats[s].p95)}` : '–')).join(' | ')} |`);
  }
  console.log('\n(median / p95 ms, in-process, one engine)\n');
  for (const [id, t] of Object.entries(modelTimes)) {
    const v = t as { batch1_median_ms: number; batch8_ms_per_image: number; batch8_images_per_s: number };
    console.log(`${id}: batch 1 median ${fmt(v.batch1_median_ms)} ms; batch 8 ${fmt(v.batch8_ms_per_image)} ms/image (${fmt(v.batch8_images_per_s)} images/s)`);
  }
  const pf = report.per_face_models as { models: string[]; median_ms: number; p95_ms: number } | undefined;
  if (pf) console.log(`\nPer face, both tasks (${pf.models.join(' + ')}), 1 thread, batch 1: median ${fmt(pf.median_ms)} ms, p95 ${fmt(pf.p95_ms)} ms (budget 8 ms)`);
  const b = report.batch as { photos_per_s: number; photos: number };
  console.log(`\nBatch on ${workers} worker threads: ${fmt(b.photos_per_s)} photos/s over ${b.photos} photos`);
}
