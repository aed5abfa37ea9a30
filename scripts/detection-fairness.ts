/**
 * The detection-fairness table: how often the detect stage finds the face on the UTKFace
 * portraits of each group (recall, and its complement NO_FACE), beside how often it "finds" a
 * face where there is none (false detections), per detector threshold. The engine's own
 * detect stage runs on every image (face/find.ts), so the numbers are what `analyze` does.
 *
 *   npm run fairness                                  # the full table (599 portraits, ~2 minutes on one core)
 *   npm run fairness -- --thresholds 0.5,0.7 --per-group 20 --crops 100 --misses
 *   npm run fairness -- --before                      # the detect stage before issue #11 (full range only, no fallback)
 *
 * Positives: `../shared/datasets` rows with source utkface, by `group_label`.
 * Negatives: the non-face fixtures; the skin close-ups in test/data/non-face-closeups.txt (picked by
 * looking: no eyes, mouth or nose); random crops of those non-face photos (seeded).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from '../testkit/command-line.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { FaceMesh } from '../src/engine/face/facemesh.ts';
import { detectorOptions, FACE_DEFAULTS } from '../src/engine/face/defaults.ts';
import { findFaces, type FindOptions } from '../src/engine/face/find.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GROUPS = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;
export const NEGATIVE_SETS = ['non-face fixtures', 'skin close-ups', 'random crops'] as const;

export interface FairnessOptions {
  datasetsDir: string;
  fixturesDir: string;
  thresholds: number[];
  /** Portraits per group (the first N by file name); all when undefined. */
  perGroup?: number;
  /** Close-ups from the list (the first N); all when undefined. */
  closeups?: number;
  crops: number;
  seed: number;
  /** false: the detect stage before issue #11 (full-range model only, no whole-image fallback). */
  current: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface Tally {
  n: number;
  /** Positives: photos with no face found (NO_FACE). Negatives: photos where a face was "found". */
  wrong: number;
  /** Positives found only by the whole-image mesh fallback. */
  viaFallback: number;
  examples: string[];
}

export interface FairnessRow {
  threshold: number;
  groups: Record<(typeof GROUPS)[number], Tally>;
  negatives: Record<(typeof NEGATIVE_SETS)[number], Tally>;
}

interface Sample {
  name: string;
  image: () => Promise<RgbImage>;
}

export function closeupList(): string[] {
  return fs
    .readFileSync(path.join(REPO, 'test/data/non-face-closeups.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** UTKFace rows of the dataset manifest, by group, sorted by file name. */
export function portraits(datasetsDir: string): Record<string, string[]> {
  const [header, ...rows] = fs.readFileSync(path.join(datasetsDir, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const col = header.split('\t');
  const [file, source, group] = ['file', 'source', 'group_label'].map((c) => col.indexOf(c));
  const byGroup: Record<string, string[]> = {};
  for (const row of rows) {
    const f = row.split('\t');
    if (f[source] !== 'utkface' || !f[group]) continue;
    (byGroup[f[group]] ??= []).push(f[file]);
  }
  for (const list of Object.values(byGroup)) list.sort();
  return byGroup;
}

async function decodeFile(file: string): Promise<RgbImage> {
  return (await decodeImage(fs.readFileSync(file))).image;
}

/** mulberry32: a small seeded PRNG, so the random crops are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cut(image: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let row = 0; row < h; row++) {
    const from = ((y + row) * image.width + x) * 3;
    data.set(image.data.subarray(from, from + w * 3), row * w * 3);
  }
  return { width: w, height: h, data };
}

/**
 * `count` crops of the non-face photos: a random photo, a side of 25–100 % of its short side
 * (at least 64 px, the decoder's minimum), an aspect ratio of 0.75–1.33, a random position.
 */
async function randomCrops(photos: string[], count: number, seed: number): Promise<Sample[]> {
  const rand = prng(seed);
  const decoded = new Map<string, RgbImage>();
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const file = photos[Math.floor(rand() * photos.length)];
    const image = decoded.get(file) ?? (await decodeFile(file));
    decoded.set(file, image);
    const short = Math.min(image.width, image.height);
    const side = Math.max(64, Math.round(short * (0.25 + 0.75 * rand())));
    const aspect = 0.75 + (1.33 - 0.75) * rand();
    const w = Math.min(image.width, Math.max(64, Math.round(side * Math.sqrt(aspect))));
    const h = Math.min(image.height, Math.max(64, Math.round(side / Math.sqrt(aspect))));
    const x = Math.floor(rand() * (image.width - w + 1));
    const y = Math.floor(rand() * (image.height - h + 1));
    const crop = cut(image, x, y, w, h);
    samples.push({ name: `${path.basename(file)}@${x},${y},${w}x${h}`, image: async () => crop });
  }
  return samples;
}

export async function measureFairness(options: FairnessOptions): Promise<FairnessRow[]> {
  const byGroup = portraits(options.datasetsDir);
  const positives = GROUPS.map((g) => ({
    group: g,
    samples: (byGroup[g] ?? []).slice(0, options.perGroup).map((f): Sample => ({ name: f, image: () => decodeFile(path.join(options.datasetsDir, f)) })),
  }));
  const nonFaceDir = path.join(options.fixturesDir, 'non-faces');
  const fixtures = ['chelsea.png', 'coffee.png', 'rocket.jpg'].map((f) => path.join(nonFaceDir, f));
  const closeups = closeupList()
    .slice(0, options.closeups)
    .map((f) => path.join(options.datasetsDir, f));
  const negatives: Array<{ set: (typeof NEGATIVE_SETS)[number]; samples: Sample[] }> = [
    { set: 'non-face fixtures', samples: fixtures.map((f) => ({ name: path.basename(f), image: () => decodeFile(f) })) },
    { set: 'skin close-ups', samples: closeups.map((f) => ({ name: path.basename(f), image: () => decodeFile(f) })) },
    { set: 'random crops', samples: await randomCrops([...fixtures, ...closeups], options.crops, options.seed) },
  ];

  const detector = await FaceDetector.load(detectorOptions({ shortRange: options.current }));
  const mesh = await FaceMesh.load();
  const tally = (): Tally => ({ n: 0, wrong: 0, viaFallback: 0, examples: [] });
  const rows: FairnessRow[] = options.thresholds.map((threshold) => ({
    threshold,
    groups: Object.fromEntries(GROUPS.map((g) => [g, tally()])) as FairnessRow['groups'],
    negatives: Object.fromEntries(NEGATIVE_SETS.map((s) => [s, tally()])) as FairnessRow['negatives'],
  }));
  const total = positives.reduce((s, p) => s + p.samples.length, 0) + negatives.reduce((s, p) => s + p.samples.length, 0);
  let done = 0;
  const run = async (sample: Sample, pick: (row: FairnessRow) => Tally, positive: boolean) => {
    const image = await sample.image();
    for (const row of rows) {
      const find: FindOptions = {
        detectionThreshold: row.threshold,
        meshThreshold: FACE_DEFAULTS.meshThreshold,
        fallbackThreshold: options.current ? FACE_DEFAULTS.fallbackThreshold : null,
      };
      const { chosen } = await findFaces(detector, mesh, image, find);
      const t = pick(row);
      t.n++;
      const wrong = positive ? !chosen : !!chosen;
      if (wrong) {
        t.wrong++;
        t.examples.push(sample.name);
      }
      if (positive && chosen?.via === 'mesh') t.viaFallback++;
    }
    options.onProgress?.(++done, total);
  };
  try {
    for (const { group, samples } of positives) for (const s of samples) await run(s, (r) => r.groups[group], true);
    for (const { set, samples } of negatives) for (const s of samples) await run(s, (r) => r.negatives[set], false);
  } finally {
    await mesh.close();
    await detector.close();
  }
  return rows;
}

const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)} %` : '–');

/** Largest difference in NO_FACE rate between two groups, in percentage points. */
export function maxGap(row: FairnessRow): number {
  const rates = GROUPS.map((g) => (100 * row.groups[g].wrong) / Math.max(1, row.groups[g].n));
  return Math.max(...rates) - Math.min(...rates);
}

/** The Markdown table: one row per threshold; NO_FACE per group (recall = 1 − NO_FACE); false detections per negative set. */
export function formatTable(rows: FairnessRow[]): string {
  const head = ['threshold', ...GROUPS.map((g) => `${g} NO_FACE`), 'worst recall', 'gap (points)', ...NEGATIVE_SETS.map((s) => `false detections: ${s}`)];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    const worst = Math.min(...GROUPS.map((g) => 1 - row.groups[g].wrong / Math.max(1, row.groups[g].n)));
    const cells = [
      row.threshold.toFixed(2),
      ...GROUPS.map((g) => `${row.groups[g].wrong}/${row.groups[g].n} (${pct(row.groups[g].wrong, row.groups[g].n)})`),
      `${(100 * worst).toFixed(1)} %`,
      maxGap(row).toFixed(1),
      ...NEGATIVE_SETS.map((s) => `${row.negatives[s].wrong}/${row.negatives[s].n}`),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = commandLine({
    options: {
      thresholds: { type: 'string', default: '0.5,0.6,0.7,0.8' },
      'per-group': { type: 'string' },
      closeups: { type: 'string' },
      crops: { type: 'string', default: '500' },
      seed: { type: 'string', default: '11' },
      datasets: { type: 'string', default: path.resolve(REPO, '../shared/datasets') },
      fixtures: { type: 'string', default: path.resolve(REPO, '../shared/fixtures') },
      before: { type: 'boolean', default: false },
      misses: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const count = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number.`);
    return n;
  };
  const thresholds = values.thresholds.split(',').map(Number);
  if (thresholds.some((t) => !(t > 0 && t < 1))) throw new UsageError('--thresholds must be numbers between 0 and 1, comma-separated.');
  if (!fs.existsSync(path.join(values.datasets, 'MANIFEST.tsv'))) throw new UsageError(`No MANIFEST.tsv in ${values.datasets}.`);
  const started = performance.now();
  const rows = await measureFairness({
    datasetsDir: values.datasets,
    fixturesDir: values.fixtures,
    thresholds,
    perGroup: count(values['per-group'], 'per-group'),
    closeups: count(values.closeups, 'closeups'),
    crops: count(values.crops, 'crops') ?? 500,
    seed: count(values.seed, 'seed') ?? 11,
    current: !values.before,
    onProgress: (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (values.json) {
    console.log(JSON.stringify(rows, null, 1));
    return;
  }
  console.log(`Detect stage ${values.before ? 'before issue #11 (full range only, no fallback)' : 'as shipped'}; ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
  console.log(formatTable(rows));
  const fallback = rows.map((r) => `${r.threshold.toFixed(2)}: ${GROUPS.reduce((s, g) => s + r.groups[g].viaFallback, 0)}`).join(', ');
  console.log(`\nPortraits found only by the whole-image mesh fallback, per threshold: ${fallback}.`);
  if (values.misses) {
    for (const row of rows) {
      for (const [name, t] of [...Object.entries(row.groups), ...Object.entries(row.negatives)]) {
        if (t.examples.length) console.log(`${row.threshold.toFixed(2)} ${name}: ${t.examples.join(' ')}`);
      }
    }
  }
}

class UsageError extends Error {}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof UsageError ? `detection-fairness: ${error.message}` : error);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
