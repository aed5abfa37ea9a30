/**
 * Reading a stored result back. The engine wrote it against the result schema, but rows may
 * predate a schema change, so every read is optional: a missing part counts as unavailable.
 */
import type { AnalysisResult } from '../engine/api.ts';

export type StoredResult = DeepPartial<AnalysisResult>;
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The parsed result, or null when there is none or it is not a JSON object. */
export function parseResult(resultJson: string | null): StoredResult | null {
  if (!resultJson) return null;
  try {
    const r: unknown = JSON.parse(resultJson);
    return r && typeof r === 'object' ? (r as StoredResult) : null;
  } catch {
    return null;
  }
}

/** The value of a part that may be `{available:false}`; `fallback` when it is. */
export function whenAvailable<P extends { available?: boolean }, V>(part: P | undefined, value: (p: P) => V | undefined, fallback: V): V {
  return part?.available ? (value(part) ?? fallback) : fallback;
}
