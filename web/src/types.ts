/**
 * The shapes the app reads from the service. The analysis result's type comes straight from
 * the engine's zod schema (a type-only import: nothing of zod reaches the bundle), so a field
 * renamed in the engine breaks the web build instead of a screen.
 */
export type {
  AnalysisResult,
  Unavailable,
} from '../../src/engine/api.ts';
import type { AnalysisResult } from '../../src/engine/api.ts';

export type ScanStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface Token {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  expires_at: string;
  user?: { id: string; email: string; created_at: string };
}

export interface ScanStatusView {
  scan_id: string;
  status: ScanStatus;
  created_at: string;
  updated_at?: string;
  uploaded_at: string | null;
  completed_at: string | null;
  image_stored: boolean;
  image_expires_at: string | null;
  error: { code: string; message: string } | null;
}

export interface ScanSummary {
  confidence: number | null;
  acne_detected: boolean | null;
  condition: string | null;
  skin_type: string | null;
  monk_tone: number | null;
  quality_passed: boolean | null;
}

export interface HistoryPage {
  scans: (ScanStatusView & { summary: ScanSummary | null })[];
  total: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface ScanResults {
  scan_id: string;
  status: 'completed';
  created_at: string;
  completed_at: string;
  result: AnalysisResult;
}

export interface TrendPoint {
  scan_id: string;
  completed_at: string;
  scores: Record<string, number | null>;
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

/** A shadow candidate compared with the live model on the same scans. */
export interface Agreement {
  task: string;
  live: string;
  shadow: string;
  n: number;
  agree: number;
  rate: number;
  shadow_classes: Record<string, number>;
}

export interface Analytics {
  from: string;
  to: string;
  hours: number;
  total_scans: number;
  truncated: boolean;
  versions: VersionStats[];
  agreement?: Agreement[];
}
