/**
 * The contract's zod shapes as the JSON Schemas Fastify validates and serializes with, and that
 * @fastify/swagger publishes as OpenAPI. The analysis result is never inlined: it is one shared
 * schema (`AnalysisResult`), referenced by `$ref`.
 */
import { z } from 'zod';
import { AnalysisResult } from '../engine/result/schema.ts';

export type JsonSchema = Record<string, unknown>;

export const RESULT_REF = 'AnalysisResult#';

/**
 * `output` for what the service writes and for bodies it reads (every field listed, no others);
 * `input` for query strings, where a field with a default may be left out and unknown
 * parameters are ignored.
 */
function convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    override: (ctx) => {
      if (ctx.zodSchema === AnalysisResult) {
        for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
        ctx.jsonSchema.$ref = RESULT_REF;
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

export const responseSchema = (schema: z.ZodType): JsonSchema => convert(schema, 'output');
export const bodySchema = (schema: z.ZodType): JsonSchema => convert(schema, 'output');
export const querySchema = (schema: z.ZodType): JsonSchema => convert(schema, 'input');
