/**
 * GET /api/v1/models: the model versions this service has, their state, their model cards'
 * headline metrics (held-out test set) and the share of users each one serves under
 * SKINSIGHT_AB_SPLIT (sticky per user, see ab.ts); shadow candidates are marked, and serve nobody.
 */
import type { FastifyInstance } from 'fastify';
import type { RegistryEntryStatus } from '../../engine/api.ts';
import type { ModelTask } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';
import type { AbSplit } from '../ab.ts';
import { ModelReasonCode } from '../../contract/admin.ts';
import { responseSchema } from '../schemas.ts';
import { callerIsAdmin, publicEntry } from '../model-reasons.ts';

/** The share of users an entry serves: its A/B weight over the task's total, else 1 for the default. */
export function abShare(split: AbSplit, entry: Pick<RegistryEntryStatus, 'task' | 'version' | 'default' | 'state'>): number {
  const arms = split[entry.task as ModelTask];
  if (!arms) return entry.default && entry.state === 'ready' ? 1 : 0;
  const total = arms.reduce((a, b) => a + b.weight, 0);
  const mine = arms.filter((a) => a.version === entry.version).reduce((a, b) => a + b.weight, 0);
  return Math.round((mine / total) * 1e4) / 1e4;
}

export async function modelListRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  app.get(
    '/api/v1/models',
    {
      config: { errors: ['ENGINE_CLOSED'] },
      schema: {
        tags: ['models'],
        summary: 'Model versions: state, headline metrics from their cards, and their A/B share',
        response: {
          200: {
            type: 'object',
            required: ['models'],
            properties: {
              models: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['task', 'name', 'version', 'state', 'default', 'served', 'ab_share', 'shadow'],
                  properties: {
                    task: { type: 'string' },
                    name: { type: 'string' },
                    version: { type: 'string' },
                    state: { type: 'string', enum: ['ready', 'unavailable'] },
                    reason_code: responseSchema(ModelReasonCode),
                    reason: { type: 'string', description: 'The full reason, for admins only (it may name server paths)' },
                    default: { type: 'boolean' },
                    served: { type: 'boolean', description: 'Answers some users (A/B share above 0)' },
                    ab_share: { type: 'number', minimum: 0, maximum: 1 },
                    shadow: { type: 'boolean', description: 'Runs beside the served version; its predictions are stored, never shown' },
                    precision: { type: 'string' },
                    model_card: { type: ['string', 'null'] },
                    metrics: { type: 'object', additionalProperties: true },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const admin = await callerIsAdmin(app, request);
      const registry = ctx.analyzer.info().registry ?? [];
      const { abSplit, shadow } = ctx.config.models;
      return {
        models: registry.map((m) => {
          const share = m.state === 'ready' ? abShare(abSplit, m) : 0;
          return { ...publicEntry(m, admin), served: share > 0, ab_share: share, shadow: shadow[m.task as ModelTask] === m.version };
        }),
      };
    },
  );
}
