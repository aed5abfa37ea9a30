/**
 * Validity against outside labels (issue #13 §4): the UTKFace portraits in
 * ../shared/datasets/conditions/normal carry age and a race group in their file names
 * (`utkface__<age>_<gender>_<race>_…`, race 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others).
 *
 *   npm run validity                       # every face aged 16–60 (about 500; several minutes on 2 cores)
 *   npm run validity -- --limit 120 --seed 1   # a seeded random subset
 *   npm run validity -- --half validation      # only one half (default: test; `all` for both)
 *
 * Halves: a fixed split by file name (FNV-1a 32-bit hash of the name, even → validation, odd →
 * test), so it never changes with the file order or a subset. Every threshold and mapping set
 * against these portraits is chosen on the validation half; the figures reported in the README
 * are the test half's.
 *
 * Prints: Spearman correlation of age with wrinkle severity (100 − score, and the raw density)
 * overall and per zone; median Monk tone and ITA per group; the same medians after exposure
 * ×0.85 and ×1.15 and white-balance shifts of ±300 K (the benign light changes of npm run
 * repeatability) and how far they moved, and the median per-face change.
 * Race is only a proxy for skin tone; the test is the ordering and the spread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { pathToFileURL } from 'node:url';
import { createEngine } from '../src/engine/index.ts';
import type { AnalysisResult } from '../src/engine/result/schema.ts';
import { exposure, whiteShift, type Change } from './perturb.ts';

const DIR = path.resolve(import.meta.dirname, '../../shared/datasets/conditions/normal');
const RACES = ['White', 'Black', 'Asian', 'Indian', 'Others'] as const;
const ZONES = [
  ['wrinkles', 'density'],
  ['wrinkles_forehead', 'forehead'],
  ['wrinkles_crows_feet', 'crows_feet'],
  ['wrinkles_under_eye', 'under_eye'],
  ['wrinkles_nasolabial', 'nasolabial'],
] as const;

export interface Portrait {
  file: string;
  age: number;
  race: (typeof RACES)[number];
}

export function parsePortrait(file: string): Portrait | null {
  const m = /^utkface__(\d+)_(\d)_(\d)_/.exec(file);
  if (!m) return null;
  const race = RACES[Number(m[3])];
  return race ? { file, age: Number(m[1]), race } : null;
}

export type Half = 'validation' | 'test';

/** FNV-1a, 32 bit (Fowler, Noll & Vo; the offset basis and prime of the published algorithm). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The fixed half a portrait belongs to. */
export function halfOf(file: string): Half {
  return fnv1a(file) % 2 === 0 ? 'validation' : 'test';
}

/** Ranks with ties averaged. */
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ: Pearson correlation of the ranks. */
export function spearman(xs: number[], ys: number[]): number {
  const a = ranks(xs), b = ranks(ys);
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const LIGHT = { 'x0.85': exposure(0.85), 'x1.15': exposure(1.15), '-300K': whiteShift(-300), '+300K': whiteShift(300) } as const satisfies Record<string, Change>;
type Light = keyof typeof LIGHT;

interface Row {
  p: Portrait;
  r: AnalysisResult;
  ita: Record<Light, number | null>;
}

async function main(): Promise<void> {
  const { values } = commandLine({ options: { limit: { type: 'string' }, seed: { type: 'string', default: '1' }, half: { type: 'string', default: 'test' } } });
  const half = values.half;
  if (half !== 'validation' && half !== 'test' && half !== 'all') throw new Error(`--half must be validation, test or all, not ${half}`);
  let portraits = fs
    .readdirSync(DIR)
    .map(parsePortrait)
    .filter((p): p is Portrait => p !== null && p.age >= 16 && p.age <= 60 && (half === 'all' || halfOf(p.file) === half))
    .sort((a, b) => (a.file < b.file ? -1 : 1));
  if (values.limit) {
    const rnd = seeded(Number(values.seed));
    portraits = portraits.map((p) => [rnd(), p] as const).sort((a, b) => a[0] - b[0]).slice(0, Number(values.limit)).map((x) => x[1]);
  }
  const engine = await createEngine({});
  const rows: Row[] = [];
  let noFace = 0;
  const t0 = performance.now();
  for (const [k, p] of portraits.entries()) {
    const bytes = fs.readFileSync(path.join(DIR, p.file));
    try {
      const r = await engine.analyze(new Uint8Array(bytes));
      const ita = {} as Row['ita'];
      for (const [k, change] of Object.entries(LIGHT) as [Light, Change][]) {
        try {
          const t = (await engine.analyze(new Uint8Array(await change.apply(bytes)))).cv_analysis.skin_tone;
          ita[k] = t.available ? t.ita_deg : null;
        } catch {
          ita[k] = null;
        }
      }
      rows.push({ p, r, ita });
    } catch {
      noFace++;
    }
    if ((k + 1) % 50 === 0) process.stderr.write(`${k + 1}/${portraits.length}\n`);
  }
  await engine.close();
  console.log(`${half === 'all' ? 'Both halves' : `The ${half} half`}: ${rows.length} UTKFace portraits aged 16–60 analysed (${noFace} without a face found), ${((performance.now() - t0) / 1000).toFixed(0)} s.\n`);

  console.log('| wrinkle measure | Spearman ρ with age (100 − score) | ρ (raw density) | n |');
  console.log('| --- | --- | --- | --- |');
  for (const [score, zone] of ZONES) {
    const pts = rows.flatMap(({ p, r }) => {
      const s = r.scores[score];
      const w = r.cv_analysis.wrinkles;
      if (!s.available || !w.available) return [];
      const d = zone === 'density' ? w.density : w.per_region[zone]?.density;
      return d === undefined ? [] : [{ age: p.age, sev: 100 - s.value, d }];
    });
    const rho = spearman(pts.map((x) => x.age), pts.map((x) => x.sev));
    const rhoD = spearman(pts.map((x) => x.age), pts.map((x) => x.d));
    console.log(`| ${score} | ${rho.toFixed(2)} | ${rhoD.toFixed(2)} | ${pts.length} |`);
  }

  console.log('\n| age band | n | median wrinkle density (overall) | forehead | crow\'s feet | median wrinkles score |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [lo, hi] of [[16, 29], [30, 44], [45, 60]] as const) {
    const g = rows.filter((x) => x.p.age >= lo && x.p.age <= hi && x.r.cv_analysis.wrinkles.available);
    const w = (x: Row) => x.r.cv_analysis.wrinkles as Extract<AnalysisResult['cv_analysis']['wrinkles'], { available: true }>;
    const zone = (z: 'forehead' | 'crows_feet') => median(g.flatMap((x) => (w(x).per_region[z] ? [w(x).per_region[z]!.density] : [])));
    const sc = median(g.flatMap((x) => (x.r.scores.wrinkles.available ? [x.r.scores.wrinkles.value] : [])));
    console.log(`| ${lo}–${hi} | ${g.length} | ${median(g.map((x) => w(x).density)).toFixed(3)} | ${zone('forehead').toFixed(3)} | ${zone('crows_feet').toFixed(3)} | ${sc} |`);
  }

  console.log('\n| group | n | median Monk | median ITA° | ITA° at exposure ×0.85 (Δ) | ITA° at ×1.15 (Δ) | ITA° at −300 K (Δ) | ITA° at +300 K (Δ) | tone reliable |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const race of RACES) {
    const g = rows.filter((x) => x.p.race === race && x.r.cv_analysis.skin_tone.available);
    if (g.length === 0) continue;
    const tone = (x: Row) => x.r.cv_analysis.skin_tone as Extract<AnalysisResult['cv_analysis']['skin_tone'], { available: true }>;
    const ita = median(g.map((x) => tone(x).ita_deg));
    const at = (k: Light) => {
      const v = g.map((x) => x.ita[k]).filter((v): v is number => v !== null);
      const m = median(v);
      return `${m.toFixed(1)} (${m - ita >= 0 ? '+' : ''}${(m - ita).toFixed(1)})`;
    };
    const reliable = g.filter((x) => tone(x).reliable).length / g.length;
    console.log(`| ${race} | ${g.length} | ${median(g.map((x) => tone(x).monk_tone))} | ${ita.toFixed(1)} | ${at('x0.85')} | ${at('x1.15')} | ${at('-300K')} | ${at('+300K')} | ${(reliable * 100).toFixed(0)} % |`);
  }
  console.log('\n| light change | faces | median per-face ΔITA° | 10th–90th percentile |');
  console.log('| --- | --- | --- | --- |');
  for (const k of Object.keys(LIGHT) as Light[]) {
    const d = rows.flatMap((x) => {
      const t = x.r.cv_analysis.skin_tone;
      const v = x.ita[k];
      return t.available && v !== null ? [v - t.ita_deg] : [];
    }).sort((a, b) => a - b);
    if (d.length === 0) continue;
    const q = (f: number) => d[Math.min(d.length - 1, Math.floor(f * d.length))].toFixed(1);
    console.log(`| ${LIGHT[k].name} | ${d.length} | ${median(d).toFixed(1)} | ${q(0.1)} … ${q(0.9)} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
