/**
 * The operator's inference analytics: scans per hour, latency percentiles per stage, failure
 * reasons and the distribution of predicted classes, each per model version so two versions
 * can be compared (A/B). Computed from the scans table through Kysely (portable SQL: a plain
 * range select), aggregated here in JS so SQLite and Postgres give the same numbers.
 *
 * Admins: users whose role is 'admin', set only by the operator (`skinsight users grant-admin`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AnalysisResult } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, unauthorized } from '../http-errors.ts';
import { bearerSecurity, errors } from '../schemas.ts';
import type { Role } from '../storage/users.ts';
import { markChanges, mdcTable, scoreValues } from '../trends.ts';

export type { Role };

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

/** How often a shadow candidate agreed with the live model on the same scans. */
export interface Agreement {
  task: string;
  live: string;
  shadow: string;
  n: number;
  agree: number;
  rate: number;
  /** The candidate's predicted classes, to compare with the live version's `classes`. */
  shadow_classes: Record<string, number>;
}

export interface SlimResult {
  models: { name: string; version: string; task?: string }[];
  timings_ms: Record<string, number>;
  classes: Record<string, string | number>;
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface VersionStats {
  version: string;
  scans: number;
  completed: number;
  failed: number;
  in_flight: number;
  per_hour: { hour: string; completed: number; failed: number }[];
  latency_ms: Record<string, Percentiles>;
  failures: { code: string; count: number }[];
  classes: Record<string, Record<string, number>>;
}

export interface Analytics {
  from: string;
  to: string;
  hours: number;
  total_scans: number;
  truncated: boolean;
  versions: VersionStats[];
  agreement: Agreement[];
}

/** Failed scans carry no result, so no model list; they are grouped under this name. */
export const NO_RESULT_VERSION = 'no result (failed before the models ran)';
export const CV_ONLY_VERSION = 'cv only (no ML models loaded)';
const MAX_ROWS = 50_000;
const PAGE = 500;

/** Nearest-rank percentile of sorted values. */
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

/**
 * A stored result, parsed. The engine wrote it against the result schema, but rows may predate
 * a schema change, so every read below is optional-chained: a missing part counts as unavailable.
 */
type StoredResult = DeepPartial<AnalysisResult>;
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function parseResult(resultJson: string | null): StoredResult | null {
  if (!resultJson) return null;
  try {
    const r: unknown = JSON.parse(resultJson);
    return r && typeof r === 'object' ? (r as StoredResult) : null;
  } catch {
    return null;
  }
}

/** The value of a part that may be `{available:false}`; `fallback` when it is. */
function when<P extends { available?: boolean }, V>(part: P | undefined, value: (p: P) => V | undefined, fallback: V): V {
  return part?.available ? (value(part) ?? fallback) : fallback;
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
      acne: when(ml?.acne_analysis, (p) => ('label' in p ? p.label : undefined), na),
      condition: when(ml?.condition_analysis, (p) => ('condition' in p ? p.condition : undefined), na),
      skin_type: when(cv?.skin_type, (p) => ('type' in p ? p.type : undefined), na),
      monk_tone: when(cv?.skin_tone, (p) => ('monk_tone' in p ? p.monk_tone : undefined), na),
      quality: r.quality?.passed ? 'passed' : 'warnings',
    },
  };
}

/** Aggregate rows (any order) into per-version stats. Pure: tests feed it rows directly. */
export function aggregate(rows: AnalyticsRow[], from: Date, to: Date): Omit<Analytics, 'truncated'> {
  const groups = new Map<string, { stats: VersionStats; stages: Record<string, number[]>; hours: Map<string, { completed: number; failed: number }>; fails: Record<string, number> }>();
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

function parseShadow(json: string | null | undefined): ShadowRow[] | null {
  if (!json) return null;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as ShadowRow[]) : null;
  } catch {
    return null;
  }
}

const percentilesSchema = {
  type: 'object',
  properties: { n: { type: 'integer' }, p50: { type: 'number' }, p90: { type: 'number' }, p99: { type: 'number' }, max: { type: 'number' } },
} as const;

const analyticsSchema = {
  type: 'object',
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    hours: { type: 'integer' },
    total_scans: { type: 'integer' },
    truncated: { type: 'boolean', description: `true when the window held more than ${MAX_ROWS} scans (the newest were used)` },
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          version: { type: 'string', description: 'the models a result used, as name@version joined by " + "' },
          scans: { type: 'integer' },
          completed: { type: 'integer' },
          failed: { type: 'integer' },
          in_flight: { type: 'integer' },
          per_hour: {
            type: 'array',
            items: { type: 'object', properties: { hour: { type: 'string' }, completed: { type: 'integer' }, failed: { type: 'integer' } } },
          },
          latency_ms: { type: 'object', additionalProperties: percentilesSchema },
          failures: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, count: { type: 'integer' } } } },
          classes: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } } },
        },
      },
    },
    agreement: {
      type: 'array',
      description: 'shadow candidates vs the live model on the same scans (shadow mode, SKINSIGHT_SHADOW)',
      items: {
        type: 'object',
        properties: {
          task: { type: 'string' },
          live: { type: 'string' },
          shadow: { type: 'string' },
          n: { type: 'integer' },
          agree: { type: 'integer' },
          rate: { type: 'number' },
          shadow_classes: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      },
    },
  },
} as const;

/** A result's main 0..1 scores for the person's trend chart; null where a part is unavailable. */
export function trendScores(resultJson: string | null): Record<string, number | null> {
  const r = parseResult(resultJson);
  const cv = r?.cv_analysis;
  const none = null as number | null;
  return {
    confidence: typeof r?.confidence === 'number' ? r.confidence : null,
    acne: when(r?.ml_analysis?.acne_analysis, (p) => ('probabilities' in p ? p.probabilities?.acne : undefined), none),
    redness: when(cv?.redness, (p) => ('score' in p ? p.score : undefined), none),
    wrinkles: when(cv?.wrinkles, (p) => ('density' in p ? p.density : undefined), none),
    dark_circles: when(cv?.dark_circles, (p) => ('severity' in p ? p.severity : undefined), none),
    texture: typeof cv?.texture_quality === 'number' ? cv.texture_quality : null,
  };
}

/** The caller's role, read from the row on every request (a revoke takes effect at once). */
export function roleResolver(ctx: ServiceContext): (request: FastifyRequest) => Promise<Role> {
  return async function roleOf(request: FastifyRequest): Promise<Role> {
    const user = await ctx.users.findById(request.user.sub);
    if (!user) throw unauthorized('the account no longer exists');
    return user.role === 'admin' ? 'admin' : 'user';
  };
}

export async function analyticsRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  const db = ctx.db;
  const roleOf = roleResolver(ctx);

  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/scan/trends',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary:
          "The main scores of the user's completed scans over time, oldest first (for a trend chart). `values` are the " +
          '0–100 scores; `changes` compares each with the previous scan and marks it `real` only above the minimal ' +
          'detectable change measured by npm run repeatability (`minimal_detectable_change`).',
        security: bearerSecurity,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
        response: {
          200: {
            type: 'object',
            properties: {
              points: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    scan_id: { type: 'string' },
                    completed_at: { type: 'string' },
                    scores: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
                    values: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
                    changes: {
                      type: 'object',
                      additionalProperties: {
                        type: 'object',
                        properties: { delta: { type: 'number' }, real: { type: 'boolean' } },
                      },
                    },
                  },
                },
              },
              minimal_detectable_change: { type: 'object', additionalProperties: { type: 'number' } },
            },
          },
          ...errors(400, 401, 429),
        },
      },
    },
    async (request) => {
      const rows = await db
        .selectFrom('scans')
        .select(['id', 'completed_at', 'result_json'])
        .where('user_id', '=', request.user.sub)
        .where('status', '=', 'completed')
        .orderBy('completed_at', 'desc')
        .limit(request.query.limit)
        .execute();
      const ordered = rows.reverse();
      const values = ordered.map((r) => scoreValues(parseResult(r.result_json)));
      const mdc = mdcTable();
      const changes = markChanges(values, mdc);
      return {
        points: ordered.map((r, i) => ({
          scan_id: r.id,
          completed_at: r.completed_at ?? '',
          scores: trendScores(r.result_json),
          values: values[i],
          changes: changes[i],
        })),
        minimal_detectable_change: mdc,
      };
    },
  );

  app.get(
    '/api/v1/admin/role',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['admin'],
        summary: "The caller's role (the web app shows the dashboard to admins)",
        security: bearerSecurity,
        response: { 200: { type: 'object', properties: { role: { type: 'string', enum: ['admin', 'user'] } } }, ...errors(401, 429) },
      },
    },
    async (request) => ({ role: await roleOf(request) }),
  );

  app.get<{ Querystring: { hours: number } }>(
    '/api/v1/admin/analytics',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['admin'],
        summary: 'Inference analytics per model version over the last `hours` (admin role)',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: { hours: { type: 'integer', minimum: 1, maximum: 24 * 90, default: 24 } },
        },
        response: { 200: analyticsSchema, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      if ((await roleOf(request)) !== 'admin') throw new HttpError(403, 'FORBIDDEN', 'the admin role is required');
      const to = ctx.clock();
      const from = new Date(to.getTime() - request.query.hours * 3_600_000);
      // Pages of PAGE rows, newest first (keyset on created_at, id): results carry landmarks, so
      // only one page of full JSON is ever in memory; the slim rows are small.
      const rows: AnalyticsRow[] = [];
      let after: { created_at: string; id: string } | null = null;
      let truncated = false;
      for (;;) {
        let q = db
          .selectFrom('scans')
          .select(['id', 'status', 'created_at', 'uploaded_at', 'completed_at', 'error_code', 'result_json', 'shadow_json'])
          .where('created_at', '>=', from.toISOString());
        if (after) {
          const a = after;
          q = q.where((eb) => eb.or([eb('created_at', '<', a.created_at), eb.and([eb('created_at', '=', a.created_at), eb('id', '<', a.id)])]));
        }
        const page = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(PAGE).execute();
        for (const { result_json, shadow_json, id: _id, ...row } of page) rows.push({ ...row, result: slim(result_json), shadow: parseShadow(shadow_json) });
        if (page.length < PAGE) break;
        if (rows.length >= MAX_ROWS) {
          truncated = true;
          break;
        }
        const last = page[page.length - 1]!;
        after = { created_at: last.created_at, id: last.id };
      }
      return { ...aggregate(rows, from, to), truncated };
    },
  );
}
