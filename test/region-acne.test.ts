/**
 * Acne per face region from one forward (src/engine/models/acne-regions.ts, region-weights.ts,
 * training/backbone/net.py):
 * - the pooling weights follow the crop's geometry (unit, synthetic masks);
 * - parity on real fixture crops: a region-pooling file's whole-face logits, and its uniform
 *   region row, equal the logits of the file it re-exports (`regions.from_version`) to 1e-4
 *   (to `regions.from_logit_tolerance` for a file with float16-stored weights, 3.1.2; its uniform
 *   row still equals its own whole-face logits to 1e-4);
 * - the engine result carries per_region (face) / per_tile (close-up), schema-valid, Platt-calibrated
 *   from the manifest; a model without a region input, or without a region calibration, gives null
 *   with a reason, never an invented value; the face-OR-region rule with a fake threshold; tiles
 *   weighted by tile ∩ skin mask; the shared run keyed on the crop and the region weights;
 * - metamorphic (real photo, real acne texture on one cheek): marked todo, because the 3.x heads
 *   (trained on whole-crop features) do not localise it; see models/cards/skin_mnv2.md.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { createMask, type Mask, type RgbImage } from '../src/engine/image.ts';
import { maskWeights, tileSkinWeights, tileWeights, uniformWeights } from '../src/engine/models/region-weights.ts';
import { acneDecision, acneRegionFields, CLOSEUP_TILES, plattProbability, regionPlanner, tileMasks } from '../src/engine/models/acne-regions.ts';
import { Manifest, type ModelEntry } from '../src/engine/models/manifest.ts';
import { PATCH_REGIONS } from '../src/engine/region/patches.ts';
import { ACNE_REGIONS, AnalysisResult } from '../src/engine/result/schema.ts';
import { createSession, ort } from '../src/engine/runtime/onnx.ts';
import { fixture, FIXTURES, REPO } from '../testkit/fixtures.ts';

const MODELS = path.join(REPO, 'models');
const manifest = Manifest.parse(JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8')));
const regional = manifest.models.filter((e) => e.regions?.from_version);
const FACES = ['obama.jpg', 'biden.jpg', 'sergey.png', 'astronaut.png'];

let engine: Engine;
before(async () => {
  engine = await createEngine({ intraOpThreads: 1, loadVersions: 'all' });
});
after(async () => {
  await engine.close();
});

function box(size: number, x0: number, y0: number, x1: number, y1: number): Mask {
  const m = createMask(size, size);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m.data[y * size + x] = 1;
  return m;
}

test('region weights: each row is the share of its region in each feature cell; tiles and the uniform row sum to 1', () => {
  const size = 384; // 7 cells of 54.86 px
  const { weights, empty } = maskWeights([box(size, 0, 0, 54, 54), box(size, 330, 110, 384, 164), createMask(size, size)], 7);
  assert.deepEqual(empty, [false, false, true]);
  const row = (r: number) => Array.from(weights.data.subarray(r * 49, (r + 1) * 49));
  assert.equal(row(0)[0], 1, 'the top-left square is cell (0, 0)');
  assert.equal(row(1)[2 * 7 + 6], 1, 'x 330..384, y 110..164 is cell (row 2, column 6)');
  assert.ok(row(2).every((v) => v === 0), 'an empty region gets a zero row');
  const tiles = tileWeights(3, 7);
  assert.equal(tiles.rows, 9);
  for (let r = 0; r < 9; r++) {
    const sum = Array.from(tiles.data.subarray(r * 49, (r + 1) * 49)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `tile ${r} sums to ${sum}`);
  }
  // a tile's weight sits in its own corner: tile (0, 0) covers cells (0..2, 0..2) only
  assert.ok(tiles.data[0] > 0 && tiles.data[3] === 0 && tiles.data[3 * 7] === 0);
  const u = uniformWeights(49);
  assert.ok(Math.abs(u.data.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.deepEqual([...ACNE_REGIONS], [...PATCH_REGIONS], 'the result names the regions the training patches use');
});

/** maskWeights' definition: every step-th pixel of every step-th row, counted into its cell, each row divided by its total. */
function weightsByDefinition(masks: Mask[], grid: number, step: number): { data: number[]; empty: boolean[] } {
  const cells = grid * grid;
  const data: number[] = [];
  const empty: boolean[] = [];
  for (const { width, height, data: m } of masks) {
    const counts = new Array<number>(cells).fill(0);
    let total = 0;
    for (let y = step >> 1; y < height; y += step) {
      for (let x = step >> 1; x < width; x += step) {
        if (!m[y * width + x]) continue;
        counts[Math.min(grid - 1, Math.floor((y * grid) / height)) * grid + Math.min(grid - 1, Math.floor((x * grid) / width))]++;
        total++;
      }
    }
    empty.push(total === 0);
    data.push(...counts.map((c) => (total > 0 ? Math.fround(c / total) : 0)));
  }
  return { data, empty };
}

test('region weights read within each row\'s set pixels equal the full scan: real region masks and random blobs, steps 1 to 3', async () => {
  const prepared = await engine.prepare(fixture('faces', 'obama-1080p.jpg'));
  assert.equal(prepared.mode, 'face');
  const real = prepared.mode === 'face' ? ACNE_REGIONS.map((r) => prepared.regions.measure.regions[r]) : [];
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  // blobs at random places, on a width that is a multiple of 4 (word skipping) and one that is not
  const blobs = [96, 99].flatMap((side) => Array.from({ length: 6 }, () => {
    const m = createMask(side, side);
    const [cx, cy, r] = [rnd() * side, rnd() * side, 2 + rnd() * side * 0.3];
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) if (Math.hypot(x - cx, y - cy) < r || rnd() < 0.002) m.data[y * side + x] = 1;
    return m;
  }));
  for (const [masks, what] of [[real, 'obama-1080p regions'], [blobs, 'random blobs']] as const) {
    for (const step of [1, 2, 3]) {
      for (const grid of [7, 12]) {
        const { weights, empty } = maskWeights([...masks, createMask(masks[0].width, masks[0].height)], grid, step);
        const def = weightsByDefinition([...masks, createMask(masks[0].width, masks[0].height)], grid, step);
        assert.deepEqual(empty, def.empty, `${what}, step ${step}, grid ${grid}: empty rows`);
        assert.deepEqual(Array.from(weights.data), def.data, `${what}, step ${step}, grid ${grid}: weights`);
      }
    }
  }
});

test('parity on real crops: the whole-face logits and the uniform region row equal the re-exported version\'s logits (<= 1e-4, or the entry\'s float16 tolerance)', async () => {
  assert.ok(regional.length > 0, 'the registry has a region-pooling version');
  const sessions = new Map<string, ort.InferenceSession>();
  const session = async (file: string) => {
    let s = sessions.get(file);
    if (!s) sessions.set(file, (s = await createSession(fs.readFileSync(path.join(MODELS, file)), { intraOpThreads: 1 })));
    return s;
  };
  let worst = 0; // |own uniform row - own whole face|, every entry
  const far: string[] = []; // entries beyond their tolerance against the source file
  let compared = 0;
  try {
    for (const entry of regional) {
      const source = manifest.models.find((e) => e.task === entry.task && e.version === entry.regions!.from_version) as ModelEntry;
      assert.ok(source, `${entry.task}@${entry.regions!.from_version} is registered`);
      const m = engine.registry.forTask(entry.task, entry.version);
      assert.ok('classifier' in m, `${entry.task}@${entry.version} loads`);
      const cells = entry.regions!.grid ** 2;
      for (const name of FACES) {
        const prepared = await engine.prepare(fixture('faces', name));
        assert.equal(prepared.mode, 'face', name);
        const input = (m.classifier as unknown as { tensor(crops: RgbImage[]): ort.Tensor }).tensor([prepared.crop]);
        const old = (await (await session(source.file)).run({ input }))[source.output!].data as Float32Array;
        const plan = maskWeights(ACNE_REGIONS.map((r) => prepared.mode === 'face' ? prepared.regions.measure.regions[r] : createMask(1, 1)), entry.regions!.grid).weights;
        const w = new Float32Array(6 * cells);
        w.set(uniformWeights(cells).data, 0);
        w.set(plan.data, cells);
        const out = await (await session(entry.file)).run({ input, [entry.regions!.input]: new ort.Tensor('float32', w, [1, 6, cells]) });
        const whole = out[entry.output!].data as Float32Array;
        const rows = out[entry.regions!.output].data as Float32Array;
        assert.equal(rows.length, 6 * old.length, 'one row of logits per region');
        const tolerance = entry.regions!.from_logit_tolerance ?? 1e-4;
        for (let c = 0; c < old.length; c++) {
          worst = Math.max(worst, Math.abs(rows[c] - whole[c]));
          const d = Math.max(Math.abs(whole[c] - old[c]), Math.abs(rows[c] - old[c]));
          if (d > tolerance) far.push(`${entry.task}@${entry.version} ${name} class ${c}: ${d} > ${tolerance}`);
          compared++;
        }
      }
    }
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.release()));
  }
  assert.ok(compared > 0);
  assert.ok(worst <= 1e-4, `worst |uniform row - whole face| ${worst}`);
  assert.deepEqual(far, [], 'whole-face logits vs the re-exported version');
});

test('the result has acne per region (face) and per tile (close-up), schema-valid; a model without regions says why', async () => {
  const face = AnalysisResult.parse(await engine.analyze(fixture('faces', 'obama.jpg')));
  const acne = face.ml_analysis.acne_analysis;
  assert.ok(acne.available);
  assert.ok(acne.per_region, 'per_region is given');
  assert.deepEqual(Object.keys(acne.per_region).sort(), [...ACNE_REGIONS].sort());
  // a frontal, well-lit face: every region has skin, so every region has a value
  for (const [r, p] of Object.entries(acne.per_region)) assert.ok(p !== null && p >= 0.005 && p <= 0.995, `${r}: ${p}`);
  assert.equal(acne.per_tile, null);
  const served = manifest.models.find((e) => e.task === 'acne_binary' && e.version === acne.model.version)!;
  assert.ok(served.regions?.calibration?.rows, 'the served model has a region calibration');
  assert.equal(acne.region_threshold, served.regions?.threshold ?? null, 'the region threshold is the manifest\'s (null: none adopted)');
  if (acne.region_threshold === null) {
    assert.equal(acne.detected_regions, null, 'no threshold adopted: null, not [] ("no region has acne")');
    assert.match(acne.region_threshold_reason ?? '', /no region threshold/);
  }

  const closeup = AnalysisResult.parse(await engine.analyze(fixture('faces', 'obama.jpg'), { closeup: true }));
  const ca = closeup.ml_analysis.acne_analysis;
  assert.ok(ca.available);
  assert.equal(ca.per_region, null);
  if (served.regions?.calibration?.tile) {
    assert.ok(ca.per_tile);
    assert.equal(ca.per_tile.length, CLOSEUP_TILES);
    for (const row of ca.per_tile) assert.equal(row.length, CLOSEUP_TILES);
  } else {
    // no tile calibration (3.0.1: too few healthy validation close-ups): null with the manifest's reason, never raw rows
    assert.equal(ca.per_tile, null);
    assert.equal(ca.detected_regions, null);
    assert.match(ca.regions_reason ?? '', /no region calibration for close-up tiles/);
    if (served.regions?.calibration?.refused?.closeup) assert.ok(ca.regions_reason!.includes(served.regions.calibration.refused.closeup));
  }

  const old = manifest.models.find((e) => e.task === 'acne_binary' && !e.regions && e.default === false && e.version.startsWith('3.'));
  if (old) {
    const r = AnalysisResult.parse(await engine.analyze(fixture('faces', 'obama.jpg'), { modelVersions: { acne_binary: old.version, skin_condition: old.version } }));
    const a = r.ml_analysis.acne_analysis;
    assert.ok(a.available);
    assert.equal(a.model.version, old.version);
    assert.equal(a.per_region, null);
    assert.equal(a.per_tile, null);
    assert.match(a.regions_reason ?? '', /no region input/);
    // the whole-face answer is the same as the re-export's
    assert.ok(Math.abs(a.probabilities.acne - acne.probabilities.acne) <= 1e-3);
  }
});

/** A real acne close-up's pixels pasted over one region's skin (the mask's bounding box, cover-resized). */
async function pasteAcne(crop: RgbImage, mask: Mask, file: string): Promise<RgbImage> {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x]) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const tex = await sharp(file).rotate().removeAlpha().resize(w, h, { fit: 'cover' }).raw().toBuffer();
  const out = { ...crop, data: new Uint8Array(crop.data) };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y0 + y) * mask.width + x0 + x;
    if (mask.data[i]) for (let c = 0; c < 3; c++) out.data[i * 3 + c] = tex[(y * w + x) * 3 + c];
  }
  return out;
}

// What this committed test measures (4 fixture faces x 2 cheeks = 8 cases, one real acne texture), quoted in README and
// the model card (training/region_threshold.py METAMORPHIC). Lesions on a 192-224 px whole-face input are below what the whole-crop heads learned.
const METAMORPHIC_MEASURED = '3 of 8 cases pass with 3.1.2 and with 3.1.1, each with its region calibration (1 of 8 with 3.0.1)';
test('metamorphic: real acne pasted on one cheek raises that cheek\'s p more than any other region\'s', { todo: `the 3.x heads do not localise acne (${METAMORPHIC_MEASURED}); needs region-trained heads or higher-resolution regions` }, async () => {
  const texture = path.join(FIXTURES, '../datasets/conditions/acne/roboflow-acne__levle2_100_jpg.jpg');
  const failed: string[] = [];
  let cases = 0;
  for (const name of FACES) {
    for (const region of ['left_cheek', 'right_cheek'] as const) {
      const prepared = await engine.prepare(fixture('faces', name));
      assert.equal(prepared.mode, 'face');
      const before = (await engine.analyzePrepared(prepared)).ml_analysis.acne_analysis;
      const crop = await pasteAcne(prepared.crop, prepared.regions.measure.regions[region], texture);
      const painted = { ...prepared, crop, regions: { ...prepared.regions, measure: { ...prepared.regions.measure, image: crop } } };
      const after = (await engine.analyzePrepared(painted)).ml_analysis.acne_analysis;
      assert.ok(before.available && after.available && before.per_region && after.per_region);
      const rise = (r: (typeof ACNE_REGIONS)[number]) => (after.per_region![r] ?? 0) - (before.per_region![r] ?? 0);
      cases++;
      const beaten = ACNE_REGIONS.filter((r) => r !== region && rise(region) <= rise(r));
      if (beaten.length > 0) failed.push(`${name} ${region} +${rise(region).toFixed(3)} <= ${beaten.map((r) => `${r} +${rise(r).toFixed(3)}`).join(', ')}`);
    }
  }
  assert.equal(failed.length, 0, `${cases - failed.length} of ${cases} cases pass; failing: ${failed.join('; ')}`);
});

test('micro-batched: a face with 5 region rows beside a close-up with 9 tiles in one run give the unbatched answers', async () => {
  const sizes: number[] = [];
  const batched = await createEngine({ intraOpThreads: 1, batchWindowMs: 5, onBatch: (n) => sizes.push(n) });
  try {
    const face = await engine.prepare(fixture('faces', 'biden.jpg'));
    assert.equal(face.mode, 'face');
    const close = await engine.prepare(fixture('faces', 'obama.jpg'), { closeup: true });
    const mb = batched.registry.forTask('acne_binary');
    const m1 = engine.registry.forTask('acne_binary');
    assert.ok('classifier' in mb && 'classifier' in m1);
    // the served (default) model's grid: 12 for 3.1.1, 7 for 3.0.1
    const grid = mb.classifier.regionGrid!;
    assert.equal(grid, manifest.models.find((e) => e.task === 'acne_binary' && e.default)!.regions!.grid);
    const rows = maskWeights(ACNE_REGIONS.map((r) => (face.mode === 'face' ? face.regions.measure.regions[r] : createMask(1, 1))), grid).weights;
    const tiles = tileWeights(CLOSEUP_TILES, grid);
    sizes.length = 0;
    const [a, b] = await Promise.all([mb.classifier.classifyRegions({ ...face.crop }, rows), mb.classifier.classifyRegions({ ...close.crop }, tiles)]);
    assert.deepEqual(sizes, [2], 'both went through one run');
    const ra = await m1.classifier.classifyRegions({ ...face.crop }, rows);
    const rb = await m1.classifier.classifyRegions({ ...close.crop }, tiles);
    for (const [x, y, n] of [[a, ra, 5], [b, rb, 9]] as const) {
      assert.equal(x.regionLogits?.length, n);
      x.regionLogits!.forEach((row, r) => row.forEach((p, c) => assert.ok(Math.abs(p - y.regionLogits![r][c]) <= 1e-4, `row ${r}: ${p} vs ${y.regionLogits![r][c]}`)));
      x.probabilities.forEach((p, c) => assert.ok(Math.abs(p - y.probabilities[c]) <= 1e-4));
    }
  } finally {
    await batched.close();
  }
});

/** A fake acne entry (the served one's fields) with the given region calibration and threshold. */
function fakeEntry(regions: Partial<NonNullable<ModelEntry['regions']>>): ModelEntry {
  const served = manifest.models.find((e) => e.task === 'acne_binary' && e.default)!;
  return { ...served, threshold: 0.41, regions: { input: 'region_weights', output: 'acne_binary_regions', grid: 7, cell_px: 32, ...regions } };
}
const ab = { a: 0.5, b: -1 };
const facePlan = regionPlanner({ mode: 'face', masks: Object.fromEntries(ACNE_REGIONS.map((r, i) => [r, box(70, 10 * i, 0, 10 * i + 10, 70)])) as never })(7);
/** Logit rows whose differences z give the wanted Platt p: z = (logit(p) - b) / a. */
const rowsFor = (ps: number[]) => ps.map((p) => Float32Array.from([0, (Math.log(p / (1 - p)) - ab.b) / ab.a]));

test('region values: Platt p = σ(a·z + b) per region from the manifest; no calibration gives null with a reason, never the raw rows', () => {
  assert.ok(Math.abs(plattProbability([1, 3], { a: 0.5, b: -1 }) - 0.5) < 1e-12, 'z = 2: σ(0) = 0.5');
  assert.equal(plattProbability([0, 100], { a: 1, b: 0 }), 0.995, 'clipped');
  const rows = rowsFor([0.1, 0.2, 0.3, 0.4, 0.6]);
  const cal = { method: 'platt' as const, rows: Object.fromEntries(ACNE_REGIONS.map((r) => [r, ab])) };
  const f = acneRegionFields(fakeEntry({ calibration: cal }), facePlan, rows);
  assert.deepEqual(Object.values(f.per_region!), [0.1, 0.2, 0.3, 0.4, 0.6]);
  assert.equal(f.detected_regions, null, 'no threshold: regions decide nothing');
  const none = acneRegionFields(fakeEntry({}), facePlan, rows);
  assert.equal(none.per_region, null);
  assert.equal(none.detected_regions, null);
  assert.match(none.regions_reason ?? '', /no region calibration/);
});

test('the face-level rule: face p >= threshold OR a region >= the region threshold (a fake entry that has one)', () => {
  const cal = { method: 'platt' as const, rows: Object.fromEntries(ACNE_REGIONS.map((r) => [r, ab])) };
  const entry = fakeEntry({ calibration: cal, threshold: 0.5 });
  const clear = acneRegionFields(entry, facePlan, rowsFor([0.1, 0.2, 0.3, 0.4, 0.45]));
  assert.deepEqual(clear.detected_regions, [], 'a threshold and no region at it: [] (no region passed)');
  assert.equal(clear.region_threshold, 0.5);
  assert.deepEqual(acneDecision({ acne: 0.2, no_acne: 0.8 }, 0.41, clear), { detected: false, byRegion: false, confidence: 0.8 });
  assert.equal(acneDecision({ acne: 0.6, no_acne: 0.4 }, 0.41, clear).detected, true, 'the face alone');
  const cheek = acneRegionFields(entry, facePlan, rowsFor([0.1, 0.7, 0.3, 0.4, 0.2]));
  assert.deepEqual(cheek.detected_regions, ['left_cheek']);
  const d = acneDecision({ acne: 0.2, no_acne: 0.8 }, 0.41, cheek);
  assert.deepEqual(d, { detected: true, byRegion: true, confidence: 0.7 }, 'one cheek is not averaged away by a clear face');
  const unadopted = acneRegionFields(fakeEntry({ calibration: cal }), facePlan, rowsFor([0.1, 0.99, 0.3, 0.4, 0.2]));
  assert.equal(acneDecision({ acne: 0.2, no_acne: 0.8 }, 0.41, unadopted).detected, false, 'no threshold adopted: regions never decide');
});

test('close-up tiles: each tile weighted by tile ∩ skin mask; a tile without skin is null', () => {
  const size = 90;
  const skin = box(size, 0, 0, 30, size); // the left column of tiles only
  const masks = tileMasks(skin);
  assert.equal(masks.length, 9);
  const plan = regionPlanner({ mode: 'closeup', skin })(7);
  assert.deepEqual(plan.empty, [false, true, true, false, true, true, false, true, true]);
  const half = box(size, 0, 0, 15, size); // the left half of the left tiles: their weight moves to cells 0..1 of 7
  const w = regionPlanner({ mode: 'closeup', skin: half })(7).weights;
  const row0 = Array.from(w.data.subarray(0, 49));
  assert.ok(row0.every((v, g) => (g % 7 <= 1 ? true : v === 0)), 'no weight outside the skin pixels');
  // the one-pass weights equal the definition (maskWeights of the tile ∩ skin masks) on a real close-up's skin mask
  for (const m of [skin, half, ...[1, 2].map((k) => box(size, 7 * k, 3 * k, size - 5 * k, size - 11 * k))]) {
    const fast = tileSkinWeights(m, CLOSEUP_TILES, 7);
    const def = maskWeights(tileMasks(m), 7);
    assert.deepEqual(fast.empty, def.empty);
    fast.weights.data.forEach((v, i) => assert.ok(Math.abs(v - def.weights.data[i]) < 1e-6, `cell ${i}: ${v} vs ${def.weights.data[i]}`));
  }
  const cal = { method: 'platt' as const, tile: ab };
  const f = acneRegionFields(fakeEntry({ calibration: cal }), plan, rowsFor(Array(9).fill(0.3)));
  assert.deepEqual(f.per_tile, [[0.3, null, null], [0.3, null, null], [0.3, null, null]]);
  assert.equal(f.per_region, null);
});

test('shared run: the same crop with other region weights runs again (the key is the crop AND the weights)', async () => {
  const m = engine.registry.forTask('acne_binary');
  assert.ok('classifier' in m && m.classifier.regionGrid);
  const prepared = await engine.prepare(fixture('faces', 'biden.jpg'));
  assert.equal(prepared.mode, 'face');
  const grid = m.classifier.regionGrid;
  const rows = maskWeights(ACNE_REGIONS.map((r) => (prepared.mode === 'face' ? prepared.regions.measure.regions[r] : createMask(1, 1))), grid).weights;
  const tiles = tileWeights(CLOSEUP_TILES, grid);
  const crop = { ...prepared.crop };
  const [a, b] = await Promise.all([m.classifier.classifyRegions(crop, rows), m.classifier.classifyRegions(crop, tiles)]);
  assert.equal(a.regionLogits?.length, 5);
  assert.equal(b.regionLogits?.length, 9, 'the tile call got its own rows, not the region call\'s');
  const alone = await m.classifier.classifyRegions({ ...prepared.crop }, tiles);
  b.regionLogits!.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - alone.regionLogits![r][c]) <= 1e-4)));
});
