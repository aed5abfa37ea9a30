/**
 * The HTTP contract of skinsight: request and response shapes (zod) and the error catalogue.
 * The service derives its route schemas, the OpenAPI document and its handler types from it;
 * the CLI reads its codes; the web app imports it type-only (nothing of zod reaches the bundle).
 */
export * from './admin.ts';
export * from './analyze.ts';
export * from './auth.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './health.ts';
export * from './scans.ts';
