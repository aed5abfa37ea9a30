/**
 * Cost of a result-cache hit as the processor pays it: sha256 of the photo, the key, the read.
 * In memory and in Redis (loopback), with a real result-sized value.
 *
 *   node --import tsx bench/cache.bench.ts [--n 2000] [--photo faces/obama.jpg]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { fileURLToPath } from 'node:url';
import { cacheKey, MemoryResultCache, RedisResultCache, type ResultCache } from '../src/service/cache.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = commandLine({ options: { n: { type: 'string', default: '2000' }, photo: { type: 'string', default: 'faces/obama.jpg' } } });
const photo = fs.readFileSync(path.resolve(ROOT, '../shared/fixtures', values.photo));
const n = Number(values.n);
// A result carries 468 landmarks: about 30 kB of JSON.
const value = `\n${JSON.stringify({ landmarks: Array.from({ length: 468 }, (_, i) => [i / 468, i / 936, 0.01]) })}`;
const parts = { owner: 'bench-user', versions: { acne_binary: '2.0.0', skin_condition: '2.0.0' }, shadow: {}, closeup: false };

async function measure(name: string, cache: ResultCache) {
  await cache.set(cacheKey(photo, parts), value);
  for (let i = 0; i < 50; i++) await cache.get(cacheKey(photo, parts));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const v = await cache.get(cacheKey(photo, parts));
    times.push(performance.now() - t0);
    if (!v) throw new Error('miss');
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => Math.round(times[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]! * 1000) / 1000;
  console.log(JSON.stringify({ cache: name, photo_bytes: photo.length, value_bytes: value.length, n, mean_ms: Math.round((times.reduce((a, b) => a + b, 0) / n) * 1000) / 1000, p50_ms: q(50), p99_ms: q(99) }));
  await cache.close();
}

await measure('memory', new MemoryResultCache({ entries: 1000, ttlS: 3600 }));
const redis = new RedisResultCache(process.env.SKINSIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379', `skinsight-cache-bench-${process.pid}`, 60);
await new Promise((r) => setTimeout(r, 200));
await measure('redis', redis);
