/**
 * A synchronous analysis (`POST /api/v1/analyze`) as a BullMQ job: what the API puts in, and
 * what the worker gives back. The outcome is structured data, the result or `{code, message}`,
 * carried as the job's return value (JSON in Redis), so the engine's code arrives as it was
 * raised, whatever the message says. A thrown job error is only a string in BullMQ
 * (`failedReason`), so a worker throws only to have the job retried.
 */
import type { Job } from 'bullmq';
import { SkinsightError, toErrorInfo, type AnalysisResult, type Analyzer, type AnalyzeOptions, type ErrorCode } from '../../engine/api.ts';

export interface AnalyzeJobData {
  bytes: string; // base64: job data is JSON
  options: AnalyzeOptions;
}

export type AnalyzeJobOutcome = { result: AnalysisResult } | { error: { code: ErrorCode; message: string } };

/** Failures that another try (on another worker) may not repeat: the others depend only on the photo. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['ENGINE_CLOSED', 'ENGINE_CRASHED', 'INTERNAL']);

/** Tries the API gives a job: one more for a worker that shuts down or loses its engine thread. */
export const ANALYZE_JOB_ATTEMPTS = 2;

/**
 * The worker's side: analyse, and return the outcome. A retryable failure with tries left is
 * thrown instead, so BullMQ hands the job to a worker again.
 */
export async function runAnalyzeJob(
  analyzer: Pick<Analyzer, 'analyze'>,
  job: Pick<Job<AnalyzeJobData>, 'data' | 'attemptsMade' | 'opts'>,
  onError: (code: ErrorCode) => void = () => {},
): Promise<{ outcome: AnalyzeJobOutcome; result?: AnalysisResult }> {
  try {
    const result = await analyzer.analyze(Buffer.from(job.data.bytes, 'base64'), job.data.options);
    return { outcome: { result }, result };
  } catch (err) {
    const error = toErrorInfo(err);
    const triesLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    if (RETRYABLE.has(error.code) && triesLeft) throw err;
    onError(error.code);
    return { outcome: { error } };
  }
}

/** The API's side: the result, or the engine's error rebuilt with its own code and message. */
export function fromOutcome(outcome: AnalyzeJobOutcome): AnalysisResult {
  if ('error' in outcome) throw new SkinsightError(outcome.error.code, outcome.error.message);
  return outcome.result;
}
