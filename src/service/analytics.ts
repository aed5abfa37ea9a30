/**
 * The operator's inference analytics, as pure functions of scan rows: scans per hour, latency
 * percentiles per stage, failure reasons and the distribution of predicted classes, each per
 * model version so two versions can be compared (A/B), and shadow candidates' agreement with
 * the live model. Aggregated in JS, not SQL, so SQLite and Postgres give the same numbers.
 */
import type { Agreement, Analytics, Percentiles, VersionStats } from '../contract/admin.ts';
import { parseResult, whenAvailable } from './stored-result.ts';

/** The rows the aggregation reads; one per scan in the window. */
export interface AnalyticsRow {
  status: string;
  created_at: string;
  uploaded_at: string | null;
  completed_at: string | null;
  error_code: string | null;
  /** The parts of the result the aggregation needs (landmarks dropped as soon as a row is read). */
  result: SlimResult | null;
  /** Shadow-mode predictions stored beside the result (scans.shadow_json), if any. */
  shadow?: ShadowRow[] | null;
}

/** One candidate's prediction in shadow mode, as the engine returned it. */
export interface ShadowRow {
  task: string;
  name: string;
  version: string;
  label: string | null;
}

export interface SlimResult {
  models: { name: string; version: string; task?: string }[];
  timings_ms: Record<string, number>;
  classes: Record<string, string | number>;
}

/** Failed scans carry no result, so no model list; they are grouped under this name. */
export const NO_RESULT_VERSION = 'no result (failed before the models ran)';
export const CV_ONLY_VERSION = 'cv only (no ML models loaded)';

/** Nearest-rank percentile of sorted values (the smallest value with at least p % at or below it). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

export function summarise(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : 0 };
}

/** "name@version" of every model the result used, sorted: the A/B key. */
function versionOf(result: SlimResult | null): string {
  if (!result) return NO_RESULT_VERSION;
  const models = result.models.map((m) => `${m.name}@${m.version}`).sort();
  return models.length ? models.join(' + ') : CV_ONLY_VERSION;
}

function bump(map: Record<string, number>, key: string | number | null | undefined) {
  if (key === null || key === undefined) return;
  map[String(key)] = (map[String(key)] ?? 0) + 1;
}

/** A stored result reduced to what the aggregation needs; null when unreadable. */
export function slim(resultJson: string | null): SlimResult | null {
  const r = parseResult(resultJson);
  if (!r) return null;
  const cv = r.cv_analysis;
  const ml = r.ml_analysis;
  // Every predicted class worth comparing between versions; unavailable parts count as such.
  const na = 'unavailable' as string | number;
  return {
    models: (r.models ?? []).map((m) => ({ name: String(m?.name), version: String(m?.version), task: String(m?.task) })),
    timings_ms: (r.timings_ms ?? {}) as Record<string, number>,
    classes: {
      acne: whenAvailable(ml?.acne_analysis, (p) => ('label' in p ? p.label : undefined), na),
      condition: whenAvailable(ml?.condition_analysis, (p) => ('condition' in p ? p.condition : undefined), na),
      skin_type: whenAvailable(cv?.skin_type, (p) => ('type' in p ? p.type : undefined), na),
      monk_tone: whenAvailable(cv?.skin_tone, (p) => ('monk_tone' in p ? p.monk_tone : undefined), na),
      quality: r.quality?.passed ? 'passed' : 'warnings',
    },
  };
}

/** Shadow predictions as stored (scans.shadow_json); null when absent or unreadable. */
export function parseShadow(json: string | null | undefined): ShadowRow[] | null {
  if (!json) return null;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as ShadowRow[]) : null;
  } catch {
    return null;
  }
}

interface Group {
  stats: VersionStats;
  stages: Record<string, number[]>;
  hours: Map<string, { completed: number; failed: number }>;
  fails: Record<string, number>;
}

/** Aggregate rows (any order) into per-version stats. */
export function aggregate(rows: AnalyticsRow[], from: Date, to: Date): Omit<Analytics, 'truncated'> {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const result = row.status === 'completed' ? row.result : null;
    const version = row.status === 'completed' ? versionOf(result) : row.status === 'failed' ? NO_RESULT_VERSION : 'in flight';
    let g = groups.get(version);
    if (!g) {
      g = {
        stats: { version, scans: 0, completed: 0, failed: 0, in_flight: 0, per_hour: [], latency_ms: {}, failures: [], classes: {} },
        stages: {},
        hours: new Map(),
        fails: {},
      };
      groups.set(version, g);
    }
    g.stats.scans++;
    // Bucket by the hour the scan finished (or was created, while in flight): ISO strings sort and slice.
    const hour = `${(row.completed_at ?? row.created_at).slice(0, 13)}:00:00Z`;
    const h = g.hours.get(hour) ?? { completed: 0, failed: 0 };
    g.hours.set(hour, h);
    if (row.status === 'completed') {
      g.stats.completed++;
      h.completed++;
      for (const [stage, ms] of Object.entries(result?.timings_ms ?? {})) {
        if (typeof ms === 'number' && Number.isFinite(ms)) (g.stages[stage] ??= []).push(ms);
      }
      for (const [name, value] of Object.entries(result?.classes ?? {})) bump((g.stats.classes[name] ??= {}), value);
    } else if (row.status === 'failed') {
      g.stats.failed++;
      h.failed++;
      bump(g.fails, row.error_code ?? 'INTERNAL');
    } else {
      g.stats.in_flight++;
    }
    // What the person waited: upload accepted → result stored (queueing included).
    if (row.uploaded_at && row.completed_at) {
      const ms = Date.parse(row.completed_at) - Date.parse(row.uploaded_at);
      if (Number.isFinite(ms) && ms >= 0) (g.stages.end_to_end ??= []).push(ms);
    }
  }
  const versions = [...groups.values()].map((g) => ({
    ...g.stats,
    per_hour: [...g.hours.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([hour, v]) => ({ hour, ...v })),
    latency_ms: Object.fromEntries(Object.entries(g.stages).map(([k, v]) => [k, summarise(v)])),
    failures: Object.entries(g.fails)
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count),
  }));
  versions.sort((a, b) => b.scans - a.scans);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    hours: Math.round((to.getTime() - from.getTime()) / 3_600_000),
    total_scans: rows.length,
    versions,
    agreement: agreement(rows),
  };
}

/** The live label per task, read from the slim result's classes. */
const LIVE_LABEL: Record<string, string> = { acne_binary: 'acne', skin_condition: 'condition' };

/** Shadow candidate vs live model, per (task, live version, shadow version), on completed scans. */
export function agreement(rows: AnalyticsRow[]): Agreement[] {
  const pairs = new Map<string, Agreement>();
  for (const row of rows) {
    if (row.status !== 'completed' || !row.result || !row.shadow) continue;
    for (const s of row.shadow) {
      const live = row.result.models.find((m) => m.task === s.task);
      const liveLabel = row.result.classes[LIVE_LABEL[s.task] ?? ''];
      if (!live || s.label === null || liveLabel === undefined) continue;
      const key = `${s.task}|${live.name}@${live.version}|${s.name}@${s.version}`;
      let a = pairs.get(key);
      if (!a) {
        a = { task: s.task, live: `${live.name}@${live.version}`, shadow: `${s.name}@${s.version}`, n: 0, agree: 0, rate: 0, shadow_classes: {} };
        pairs.set(key, a);
      }
      a.n++;
      if (String(liveLabel) === s.label) a.agree++;
      bump(a.shadow_classes, s.label);
    }
  }
  return [...pairs.values()].map((a) => ({ ...a, rate: a.n ? Math.round((a.agree / a.n) * 10000) / 10000 : 0 }));
}
