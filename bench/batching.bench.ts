/**
 * Micro-batching: throughput of the engine pool at concurrency 16 with the batch window off and
 * on (the same photos, the same pool size), and the share of the model stage in an analysis
 * (the most batching could ever save).
 *
 *   node --import tsx bench/batching.bench.ts [--workers 2] [--n 240] [--windows 0,2,5] [--models DIR]
 */
import { commandLine } from '../testkit/command-line.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { fixture } from '../testkit/fixtures.ts';

const { values } = commandLine({
  options: {
    workers: { type: 'string', default: '2' },
    n: { type: 'string', default: '240' },
    concurrency: { type: 'string', default: '16' },
    windows: { type: 'string', default: '0,2,5' },
    models: { type: 'string' },
  },
});
const photos = ['obama.jpg', 'biden.jpg', 'obama2.jpg', 'obama3.jpg'].map((f) => fixture('faces', f));
const n = Number(values.n);
const concurrency = Number(values.concurrency);

for (const windowMs of values.windows.split(',').map(Number)) {
  const pool = await createEnginePool({ workers: Number(values.workers), batchWindowMs: windowMs, modelsDir: values.models });
  await Promise.all(Array.from({ length: pool.size * 2 }, (_, i) => pool.analyze(photos[i % photos.length]!)));
  let next = 0;
  const models: number[] = [];
  const totals: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await pool.analyze(photos[i % photos.length]!);
        models.push(r.timings_ms.models ?? 0);
        totals.push(r.timings_ms.total ?? 0);
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    JSON.stringify({
      window_ms: windowMs,
      workers: pool.size,
      concurrency,
      analyses: n,
      per_s: Math.round((n / s) * 100) / 100,
      models_stage_ms_mean: Math.round(mean(models) * 10) / 10,
      total_ms_mean: Math.round(mean(totals) * 10) / 10,
      models_share: Math.round((mean(models) / mean(totals)) * 1000) / 1000,
      models: pool.info().models.map((m) => `${m.name}@${m.version}`),
    }),
  );
  await pool.close();
}
