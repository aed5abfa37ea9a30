/**
 * JSON schemas shared by the routes. Fastify validates requests with them and
 * @fastify/swagger turns them into the OpenAPI document; the analysis result's schema comes
 * from the engine's zod schema, so the docs can never drift from what is returned.
 */
import { resultJsonSchema } from '../engine/api.ts';

export function analysisResultSchema(): Record<string, unknown> {
  const { $schema: _drop, ...rest } = resultJsonSchema();
  return { $id: 'AnalysisResult', title: 'AnalysisResult', ...rest };
}

export const resultRef = { $ref: 'AnalysisResult#' } as const;

export const errorSchema = {
  $id: 'Error',
  title: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    scan_id: { type: 'string' },
    status: { type: 'string' },
  },
} as const;

export const errorRef = { $ref: 'Error#' } as const;

/** The error responses a route can give, each described by the Error schema. */
export function errors(...codes: number[]): Record<number, typeof errorRef> {
  return Object.fromEntries(codes.map((c) => [c, errorRef]));
}

export const scanStatusEnum = { type: 'string', enum: ['pending', 'processing', 'completed', 'failed'] } as const;

export const scanIdParams = {
  type: 'object',
  required: ['scan_id'],
  properties: { scan_id: { type: 'string', format: 'uuid' } },
} as const;

const nullableString = { type: ['string', 'null'] } as const;

export const failureSchema = {
  type: ['object', 'null'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

export const scanStatusSchema = {
  type: 'object',
  required: ['scan_id', 'status', 'created_at'],
  properties: {
    scan_id: { type: 'string', format: 'uuid' },
    status: scanStatusEnum,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    uploaded_at: nullableString,
    completed_at: nullableString,
    image_stored: { type: 'boolean' },
    image_expires_at: nullableString,
    error: failureSchema,
  },
} as const;

export const tokenSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'expires_at'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'seconds' },
    expires_at: { type: 'string', format: 'date-time' },
    user: {
      type: 'object',
      properties: { id: { type: 'string' }, email: { type: 'string' }, created_at: { type: 'string' } },
    },
  },
} as const;

export const bearerSecurity = [{ bearerAuth: [] }];
export const apiKeySecurity = [{ apiKey: [] }];

/** Serializer for routes whose body embeds the result: it is stored as JSON text and spliced in as is. */
export const passthroughSerializer = () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data));
