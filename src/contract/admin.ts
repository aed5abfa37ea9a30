/**
 * The operator's side: the caller's role, the inference analytics per model version (with shadow
 * candidates' agreement) and the model-registry reload.
 */
import { z } from 'zod';

export const Role = z.enum(['admin', 'user']);
export type Role = z.infer<typeof Role>;

export const RoleView = z.object({ role: Role });
export type RoleView = z.infer<typeof RoleView>;

/** At most the rows the analytics read from a window; newer scans win. */
export const ANALYTICS_MAX_ROWS = 50_000;

export const AnalyticsQuery = z.object({ hours: z.int().min(1).max(24 * 90).default(24) });
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

export const Percentiles = z.object({ n: z.int(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() });
export type Percentiles = z.infer<typeof Percentiles>;

export const VersionStats = z.object({
  version: z.string().describe('the models a result used, as name@version joined by " + "'),
  scans: z.int(),
  completed: z.int(),
  failed: z.int(),
  in_flight: z.int(),
  per_hour: z.array(z.object({ hour: z.string(), completed: z.int(), failed: z.int() })),
  latency_ms: z.record(z.string(), Percentiles),
  failures: z.array(z.object({ code: z.string(), count: z.int() })),
  classes: z.record(z.string(), z.record(z.string(), z.int())),
});
export type VersionStats = z.infer<typeof VersionStats>;

/** How often a shadow candidate agreed with the live model on the same scans. */
export const Agreement = z.object({
  task: z.string(),
  live: z.string(),
  shadow: z.string(),
  n: z.int(),
  agree: z.int(),
  rate: z.number(),
  /** The candidate's predicted classes, to compare with the live version's `classes`. */
  shadow_classes: z.record(z.string(), z.int()),
});
export type Agreement = z.infer<typeof Agreement>;

export const Analytics = z.object({
  from: z.string(),
  to: z.string(),
  hours: z.int(),
  total_scans: z.int(),
  truncated: z.boolean().describe(`true when the window held more than ${ANALYTICS_MAX_ROWS} scans (the newest were used)`),
  versions: z.array(VersionStats),
  agreement: z.array(Agreement).describe('shadow candidates vs the live model on the same scans (shadow mode, SKINSIGHT_SHADOW)'),
});
export type Analytics = z.infer<typeof Analytics>;

/** A model as the engine reports it (readiness, reload). */
/**
 * Why a model is unavailable, for anyone: NOT_IN_REGISTRY (no manifest entry for it: the manifest
 * is missing or invalid, or names no such version) or LOAD_FAILED (its entry did not load). The
 * full reason can name server paths: only admins see it (and the logs).
 */
export const ModelReasonCode = z.enum(['NOT_IN_REGISTRY', 'LOAD_FAILED']);
export type ModelReasonCode = z.infer<typeof ModelReasonCode>;

/** The full reason text, shown to admins only. */
export const AdminReason = z.string().describe('the full reason, for admins only (it may name server paths)');

export const ModelStatus = z.object({
  task: z.string(),
  name: z.string(),
  version: z.string(),
  available: z.boolean(),
  reason_code: ModelReasonCode.optional(),
  reason: AdminReason.optional(),
});
export type ModelStatus = z.infer<typeof ModelStatus>;

export const ModelsReloaded = z.object({
  reloaded: z.boolean(),
  /** Distributed mode: worker processes that received the request. */
  workers: z.int().optional(),
  models: z.array(ModelStatus.omit({ reason: true, reason_code: true })).optional(),
});
export type ModelsReloaded = z.infer<typeof ModelsReloaded>;
