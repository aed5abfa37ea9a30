/**
 * The route schemas, derived from the contract (src/contract): Fastify validates requests and
 * serializes responses with them, and @fastify/swagger turns them into the OpenAPI document,
 * so the docs can never drift from what is checked and returned. The analysis result's schema
 * comes from the engine's zod schema and is shared by reference.
 */
import { ErrorBody } from '../contract/common.ts';
import { responseSchema } from '../contract/json-schema.ts';
import { resultJsonSchema } from '../engine/api.ts';

export { bodySchema, querySchema, responseSchema } from '../contract/json-schema.ts';

export function analysisResultSchema(): Record<string, unknown> {
  const { $schema: _drop, ...rest } = resultJsonSchema();
  return { $id: 'AnalysisResult', title: 'AnalysisResult', ...rest };
}

/** The one error body; its `error.code` is the catalogue's enum (src/contract/errors.ts). */
export const errorSchema = { $id: 'Error', title: 'Error', ...responseSchema(ErrorBody) };

/** The error responses of each route are written from its declared codes: route-errors.ts. */

/** The Idempotency-Key request header (idempotency.ts), documented on the routes that honour it. */
export const idempotencyHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description: 'Up to 255 visible ASCII characters. The same key and request within 24 h get the first response again (header Idempotent-Replayed: true) and run nothing twice; another request under the key answers 422 IDEMPOTENCY_KEY_REUSED; while the first still runs, 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After.',
    },
  },
} as const;

export const bearerSecurity = [{ bearerAuth: [] }];
export const apiKeySecurity = [{ apiKey: [] }];

/** Serializer for routes whose body embeds the result: it is stored as JSON text and spliced in as is. */
export const passthroughSerializer = () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data));
