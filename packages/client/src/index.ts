/** @skinsight/client: the typed client for the skinsight API. */
export { createSkinsightClient, type AnalysisResult, type ClientOptions, type ScanOptions, type ScanResults, type ScanStatus, type SkinsightClient } from './client.ts';
export { ERROR_ACTIONS, SkinsightApiError, errorFromResponse, type ErrorAction } from './errors.ts';
export { WebhookVerificationError, verifyWebhook, type WebhookEvent } from './webhook.ts';
export type { components, paths } from './schema.gen.ts';
