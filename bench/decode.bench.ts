/**
 * Where the decode stage's time goes (issue #14), in one process, alternating, min / median ms:
 *   - `decodeImage` of this tree, and of `--base` (a second checkout, e.g. main unpacked with
 *     `git archive main | tar -x -C tmp/base`) when given;
 *   - the bare sharp decode to raw RGB, its sRGB profile skipped as decode.ts does (the floor
 *     our pipeline can reach through sharp);
 *   - the same decode giving back only the last 16 rows (every row is still decoded: libjpeg's
 *     share alone, without producing and copying the 6 MB output buffer);
 *   - libvips' header read (`metadata()`), which the fast path no longer needs.
 * `--pipeline`: then, inside the engine (analyze after analyze, as `npm run bench` does), the
 * decode stage's median with and without a V8 garbage collection inside its window (a GC that
 * the main thread runs while it awaits libvips: the stage's wall time includes it).
 * `--damaged`: then `decodeImage` (base, this tree) on two damaged files within the limits
 * (obama-1080p.jpg cut at 99.5 %, its PNG with the last IDAT's deflate stream corrupted), which
 * both refuse, and this tree's libvips calls per refusal (decodeWork).
 *   node --import tsx bench/decode.bench.ts [--base tmp/base] [--runs 60] [--pipeline] [--damaged]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { commandLine } from '../testkit/command-line.ts';
import sharp from 'sharp';
import { hasSrgbProfile } from '../src/engine/decode/icc.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';

const { values } = commandLine({ options: { base: { type: 'string' }, runs: { type: 'string', default: '60' }, pipeline: { type: 'boolean', default: false }, damaged: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
type Decode = (bytes: Uint8Array) => Promise<unknown>;
const load = async (root: string): Promise<Decode> => (await import(path.join(path.resolve(root), 'src/engine/decode/decode.ts'))).decodeImage;
const decodeNew = await load(REPO);
const { decodeWork } = await import('../src/engine/decode/decode.ts');
const decodeBase = values.base ? await load(values.base) : undefined;
sharp.cache(false); // as decode.ts does

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cell = (xs: number[]) => `${Math.min(...xs).toFixed(2)} / ${median(xs).toFixed(2)}`;

console.log(`${runs} alternating runs per photo; min / median ms\n`);
console.log('| photo | decodeImage (base) | decodeImage (this tree) | bare sharp → raw | last 16 rows only | metadata() |\n|---|---|---|---|---|---|');
for (const name of ['obama-1080p.jpg', 'astronaut.png', 'astronaut-exif6.jpg']) {
  const bytes = fs.readFileSync(path.join(FACES, name));
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const ignoreIcc = hasSrgbProfile(bytes);
  const bare = () => sharp(bytes, { sequentialRead: true, ignoreIcc });
  const cases: Record<string, () => Promise<unknown>> = {
    base: () => (decodeBase ? decodeBase(bytes) : Promise.resolve()),
    new: () => decodeNew(bytes),
    bare: () => bare().rotate().raw().toBuffer(),
    strip: () => bare().extract({ left: 0, top: height - 16, width, height: 16 }).raw().toBuffer(),
    metadata: () => sharp(bytes, { limitInputPixels: false }).metadata(),
  };
  const t: Record<string, number[]> = {};
  for (let i = 0; i < runs + 3; i++) {
    for (const [k, run] of Object.entries(cases)) {
      const t0 = performance.now();
      await run();
      if (i >= 3) (t[k] ??= []).push(performance.now() - t0);
    }
  }
  console.log(`| ${name} | ${decodeBase ? cell(t.base) : '–'} | ${cell(t.new)} | ${cell(t.bare)} | ${cell(t.strip)} | ${cell(t.metadata)} |`);
}

if (values.pipeline) {
  const { createEngine } = await import('../src/engine/index.ts');
  const gcs: Array<[number, number]> = [];
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push([e.startTime, e.startTime + e.duration]); });
  observer.observe({ entryTypes: ['gc'] });
  const engine = await createEngine({});
  const bytes = fs.readFileSync(path.join(FACES, 'obama-1080p.jpg'));
  for (let i = 0; i < 3; i++) await engine.analyze(bytes);
  const rows: Array<{ start: number; decode: number; gc: number }> = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    rows.push({ start, decode: (await engine.analyze(bytes)).timings_ms.decode, gc: 0 });
  }
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last entries
  observer.disconnect();
  await engine.close();
  for (const [a, b] of gcs) for (const r of rows) r.gc += Math.max(0, Math.min(b, r.start + r.decode) - Math.max(a, r.start));
  const withGc = rows.filter((r) => r.gc > 0);
  const without = rows.filter((r) => r.gc === 0);
  console.log(`\nobama-1080p.jpg inside the engine, ${runs} analyses: decode stage median ${median(rows.map((r) => r.decode)).toFixed(2)} ms;`);
  console.log(`  ${withGc.length} with a GC inside the decode window: median ${withGc.length ? median(withGc.map((r) => r.decode)).toFixed(2) : '–'} ms, of which GC median ${withGc.length ? median(withGc.map((r) => r.gc)).toFixed(2) : '–'} ms;`);
  console.log(`  ${without.length} without: median ${without.length ? median(without.map((r) => r.decode)).toFixed(2) : '–'} ms; decode minus its GC, all runs: median ${median(rows.map((r) => r.decode - r.gc)).toFixed(2)} ms`);
}

if (values.damaged) {
  const jpeg = fs.readFileSync(path.join(FACES, 'obama-1080p.jpg'));
  const png = Buffer.from(await sharp(jpeg).png({ compressionLevel: 1 }).toBuffer());
  png[png.lastIndexOf('IDAT') + 10] ^= 0xff;
  const refuse = (decode: Decode, bytes: Uint8Array) => decode(bytes).then(() => { throw new Error('decoded a damaged file'); }, () => undefined);
  console.log('\n| damaged file | decodeImage (base) | decodeImage (this tree) | libvips calls (this tree) |\n|---|---|---|---|');
  for (const [name, bytes] of [['obama-1080p.jpg cut at 99.5 %', jpeg.subarray(0, Math.floor(jpeg.length * 0.995))], ['obama-1080p as PNG, last IDAT corrupt', png]] as const) {
    const t: Record<string, number[]> = { base: [], new: [] };
    for (let i = 0; i < runs + 3; i++) {
      for (const [k, decode] of [['base', decodeBase], ['new', decodeNew]] as const) {
        if (!decode) continue;
        const t0 = performance.now();
        await refuse(decode, bytes);
        if (i >= 3) t[k].push(performance.now() - t0);
      }
    }
    const before = { ...decodeWork };
    await refuse(decodeNew, bytes);
    const calls = `${decodeWork.pixelDecodes - before.pixelDecodes} decode, ${decodeWork.headerReads - before.headerReads} header read`;
    console.log(`| ${name} | ${decodeBase ? cell(t.base) : '–'} | ${cell(t.new)} | ${calls} |`);
  }
}
