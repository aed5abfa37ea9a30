/** The scan resource: init, upload, status, results, history, trends, image, delete. */
import { z } from 'zod';
import { AnalysisResult } from '../engine/result/schema.ts';
import { ErrorInfo, ScanStatus, Timestamp, Uuid } from './common.ts';

export const ScanIdParams = z.object({ scan_id: Uuid });
export type ScanIdParams = z.infer<typeof ScanIdParams>;

export const ScanCreated = z.object({ scan_id: Uuid, status: ScanStatus, created_at: z.string() });
export type ScanCreated = z.infer<typeof ScanCreated>;

/** Upload flags may come as query parameters as well as form fields. */
export const UploadQuery = z.object({
  wait: z.boolean().default(false),
  consent: z.string().optional(),
  store_image: z.string().optional(),
  closeup: z.string().optional(),
});
export type UploadQuery = z.infer<typeof UploadQuery>;

/** 202: accepted, the analysis runs (or, with `?wait=true`, still runs). */
export const ScanAccepted = z.object({ scan_id: z.string(), status: ScanStatus });
export type ScanAccepted = z.infer<typeof ScanAccepted>;

export const ScanResults = z.object({
  scan_id: z.string(),
  status: z.literal('completed'),
  created_at: z.string(),
  completed_at: z.string(),
  result: AnalysisResult,
});
export type ScanResults = z.infer<typeof ScanResults>;

export const ScanStatusView = z.object({
  scan_id: Uuid,
  status: ScanStatus,
  created_at: Timestamp,
  updated_at: Timestamp,
  uploaded_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  image_stored: z.boolean(),
  image_expires_at: z.string().nullable(),
  /** The failure when the scan failed, else null. */
  error: ErrorInfo.nullable(),
});
export type ScanStatusView = z.infer<typeof ScanStatusView>;

/** A small digest of a result for history lists, so a page does not carry every landmark. */
export const ScanSummary = z.object({
  confidence: z.number().nullable(),
  acne_detected: z.boolean().nullable(),
  condition: z.string().nullable(),
  skin_type: z.string().nullable(),
  monk_tone: z.int().nullable(),
  quality_passed: z.boolean().nullable(),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

export const HistoryQuery = z.object({
  limit: z.int().min(1).max(100).default(20),
  // Bounded so it stays a safe integer for the database driver.
  offset: z.int().min(0).max(1_000_000_000).default(0),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryItem = ScanStatusView.extend({ summary: ScanSummary.nullable() });
export type HistoryItem = z.infer<typeof HistoryItem>;

export const HistoryPage = z.object({
  scans: z.array(HistoryItem),
  total: z.int(),
  limit: z.int(),
  offset: z.int(),
  has_more: z.boolean(),
});
export type HistoryPage = z.infer<typeof HistoryPage>;

export const ScanDeleted = z.object({ scan_id: z.string(), deleted: z.boolean() });
export type ScanDeleted = z.infer<typeof ScanDeleted>;

export const TrendsQuery = z.object({ limit: z.int().min(1).max(200).default(50) });
export type TrendsQuery = z.infer<typeof TrendsQuery>;

export const ScoreChange = z.object({
  /** Points since the previous scan that had this score. */
  delta: z.number(),
  /** |delta| > the minimal detectable change. */
  real: z.boolean(),
});
export type ScoreChange = z.infer<typeof ScoreChange>;

export const TrendPoint = z.object({
  scan_id: z.string(),
  completed_at: z.string(),
  /** The result's main 0..1 measures; null where a part is unavailable. */
  scores: z.record(z.string(), z.number().nullable()),
  /** The 0–100 scores. */
  values: z.record(z.string(), z.number().nullable()),
  changes: z.record(z.string(), ScoreChange),
});
export type TrendPoint = z.infer<typeof TrendPoint>;

export const Trends = z.object({
  points: z.array(TrendPoint),
  minimal_detectable_change: z.record(z.string(), z.number()),
});
export type Trends = z.infer<typeof Trends>;
