/**
 * Garbage collection per analysis (issue #14): one engine analyses obama-1080p.jpg again and again
 * (after 3 warm-ups); per analysis it prints the main-thread GC time by kind
 * (PerformanceObserver 'gc' entries), the JS-heap bytes allocated (v8.GCProfiler: the heap's growth
 * between GCs, summed) and, with `--sites`, the typed arrays and ArrayBuffers the engine's JS
 * allocates, by call site (the constructors are wrapped before the engine is imported, so the
 * wrapping costs time: GC figures from a `--sites` run are not the ones to compare).
 * Buffers that native code allocates (sharp's decode, ONNX Runtime's outputs) are not seen by
 * `--sites`; they show as `external` growth and in the GC counts.
 *   node --import tsx bench/gc.bench.ts [--runs 50] [--photo obama-1080p.jpg] [--sites] [--base tmp/base | --engine DIR]
 * `--engine DIR`: only the engine of another tree (e.g. tmp/base), in this process of its own.
 * With `--base`, main's engine (unpacked there) and this tree's alternate analysis by analysis in
 * one process; each engine's GC time is the GC that ran inside its own analyses (but the heap is
 * shared, so one engine's garbage is collected in the other's time too: for GC figures, compare
 * processes of their own, `--engine tmp/base` against this tree, alternated).
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import { FACES, REPO } from '../testkit/fixtures.ts';

const { values } = commandLine({ options: { runs: { type: 'string', default: '50' }, sites: { type: 'boolean', default: false }, base: { type: 'string' }, engine: { type: 'string' }, photo: { type: 'string', default: 'obama-1080p.jpg' } } });
const runs = Number(values.runs);

// --sites: count every typed array / ArrayBuffer the JS constructs, by the first src/ frame of its stack.
const sites = new Map<string, { count: number; bytes: number }>();
let counting = false;
if (values.sites) {
  const kinds = ['Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'ArrayBuffer'] as const;
  for (const kind of kinds) {
    const Original = globalThis[kind] as unknown as new (...args: unknown[]) => ArrayBufferView | ArrayBuffer;
    const wrapped = new Proxy(Original, {
      construct(target, args, newTarget) {
        const made = Reflect.construct(target, args, newTarget) as ArrayBufferView | ArrayBuffer;
        // A view on a buffer it was given allocates nothing.
        const fresh = !(args[0] instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && args[0] instanceof SharedArrayBuffer);
        if (counting && fresh && made.byteLength >= 1024) {
          const frame = (new Error().stack ?? '').split('\n').slice(2).find((l) => l.includes('/src/')) ?? '?';
          const site = `${kind} ${frame.trim().replace(/^at /, '').replace(/\(?file:\/\/.*\/src\//, 'src/').replace(/\)$/, '')}`;
          const s = sites.get(site) ?? { count: 0, bytes: 0 };
          s.count++;
          s.bytes += made.byteLength;
          sites.set(site, s);
        }
        return made;
      },
    });
    (globalThis as Record<string, unknown>)[kind] = wrapped;
    // So that `buf.constructor === Float32Array` (MeasureBuffers) still holds, and slice() is counted too.
    Object.defineProperty(Original.prototype, 'constructor', { value: wrapped, writable: true, configurable: true });
  }
}

type Analyze = (bytes: Uint8Array) => Promise<unknown>;
const load = async (root: string): Promise<{ analyze: Analyze; close: () => Promise<void> }> => {
  const { createEngine } = await import(path.join(path.resolve(root), 'src/engine/index.ts'));
  return createEngine({});
};
const engines: Array<[string, { analyze: Analyze; close: () => Promise<void> }]> = [[values.engine ?? 'this tree', await load(values.engine ?? REPO)]];
if (values.base) engines.unshift(['base', await load(values.base)]);
const bytes = fs.readFileSync(path.join(FACES, values.photo!));
for (const [, e] of engines) for (let i = 0; i < 3; i++) await e.analyze(bytes);

const gcs: Array<{ start: number; end: number; kind: number }> = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind: ((e as PerformanceEntry & { detail?: { kind: number } }).detail?.kind ?? -1) });
});
observer.observe({ entryTypes: ['gc'] });
const rows = new Map<string, Array<{ start: number; end: number }>>(engines.map(([n]) => [n, []]));
const profiler = new v8.GCProfiler();
profiler.start();
const ext0 = process.memoryUsage();
counting = true;
for (let i = 0; i < runs; i++) {
  for (const [name, e] of engines) {
    const start = performance.now();
    await e.analyze(bytes);
    rows.get(name)!.push({ start, end: performance.now() });
  }
}
counting = false;
const ext1 = process.memoryUsage();
const profile = profiler.stop();
await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last entries
observer.disconnect();
for (const [, e] of engines) await e.close();

// JS-heap allocation: the heap's growth from each GC's end to the next GC's start, summed.
let heapAllocated = 0;
let prevAfter: number | undefined;
for (const s of profile.statistics) {
  const before = s.beforeGC.heapStatistics.usedHeapSize;
  if (prevAfter !== undefined) heapAllocated += Math.max(0, before - prevAfter);
  prevAfter = s.afterGC.heapStatistics.usedHeapSize;
}

const kindName: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor (scavenge)',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major (mark-compact)',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mb = (b: number) => (b / 1048576).toFixed(2);
console.log(`${values.photo}, ${runs} analyses per engine${values.base ? ', alternating' : ''}, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const [name] of engines) {
  const mine = rows.get(name)!;
  const perRun = mine.map((r) => {
    const by: Record<string, number> = {};
    let total = 0;
    for (const g of gcs) {
      const overlap = Math.max(0, Math.min(g.end, r.end) - Math.max(g.start, r.start));
      if (overlap <= 0) continue;
      const k = kindName[g.kind] ?? String(g.kind);
      by[k] = (by[k] ?? 0) + overlap;
      total += overlap;
    }
    return { total, by, wall: r.end - r.start };
  });
  const kinds = new Set(perRun.flatMap((r) => Object.keys(r.by)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(`\n${name}: analysis min / median ${Math.min(...perRun.map((r) => r.wall)).toFixed(1)} / ${median(perRun.map((r) => r.wall)).toFixed(1)} ms; main-thread GC per analysis mean ${(sum(perRun.map((r) => r.total)) / runs).toFixed(2)} ms, median ${median(perRun.map((r) => r.total)).toFixed(2)} ms`);
  for (const k of kinds) console.log(`  ${k}: mean ${(sum(perRun.map((r) => r.by[k] ?? 0)) / runs).toFixed(2)} ms, in ${perRun.filter((r) => r.by[k]).length} of ${runs} analyses`);
}
const n = runs * engines.length;
console.log(`\nall engines together: ${profile.statistics.length} GCs (${profile.statistics.filter((s) => s.gcType === 'MarkSweepCompact').length} mark-compact) in ${n} analyses; JS heap grown between GCs ≈ ${mb(heapAllocated / n)} MB per analysis (rough: the sampling heap profiler is the better figure); external ${mb(ext0.external)} → ${mb(ext1.external)} MB, arrayBuffers ${mb(ext0.arrayBuffers)} → ${mb(ext1.arrayBuffers)} MB`);
if (values.sites) {
  const all = [...sites.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
  const total = all.reduce((a, [, s]) => a + s.bytes, 0);
  console.log(`\ntyped arrays ≥ 1 kB constructed by the JS: ${mb(total / n)} MB per analysis, by site (per analysis):`);
  for (const [site, s] of all.slice(0, 40)) console.log(`  ${mb(s.bytes / n).padStart(7)} MB  ${(s.count / n).toFixed(1).padStart(6)}×  ${site}`);
}
