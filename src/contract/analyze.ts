/** POST /api/v1/analyze: several photos in, one result or error per photo out. */
import { z } from 'zod';
import { AnalysisResult } from '../engine/result/schema.ts';
import { ErrorInfo } from './common.ts';

export const AnalyzeQuery = z.object({ closeup: z.string().optional() });
export type AnalyzeQuery = z.infer<typeof AnalyzeQuery>;

export const AnalyzeItem = z.object({
  index: z.int(),
  filename: z.string(),
  result: AnalysisResult.optional(),
  error: ErrorInfo.optional(),
});
export type AnalyzeItem = z.infer<typeof AnalyzeItem>;

export const AnalyzeResponse = z.object({ results: z.array(AnalyzeItem) });
export type AnalyzeResponse = z.infer<typeof AnalyzeResponse>;
