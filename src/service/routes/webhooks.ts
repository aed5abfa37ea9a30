/** GET /api/v1/admin/webhooks/deliveries: the webhook delivery log (admin role). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { ADMIN } from '../route-errors.ts';
import { bearerSecurity } from '../schemas.ts';

const nullable = (type: string) => ({ type: [type, 'null'] });

export async function webhookRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;

  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/admin/webhooks/deliveries',
    {
      preHandler: app.requireAdmin,
      config: { errors: ADMIN },
      schema: {
        tags: ['admin'],
        summary: 'The webhook delivery log, newest first: each event, its attempts and how the last one went',
        security: bearerSecurity,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
        response: {
          200: {
            type: 'object',
            required: ['enabled', 'deliveries'],
            properties: {
              enabled: { type: 'boolean' },
              deliveries: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    event: { type: 'string', enum: ['scan.completed', 'scan.failed'] },
                    scan_id: { type: 'string' },
                    url: { type: 'string' },
                    state: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
                    attempts: { type: 'integer' },
                    next_attempt_at: { type: 'string' },
                    last_status: nullable('integer'),
                    last_error: nullable('string'),
                    created_at: { type: 'string' },
                    updated_at: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      if (!ctx.webhooks) return { enabled: false, deliveries: [] };
      return { enabled: true, deliveries: await ctx.webhooks.list(request.query.limit) };
    },
  );
}
