/** POST /api/v1/admin/models/reload: reload the model registry without downtime (admin role). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';
import { bearerSecurity, errors } from '../schemas.ts';
import { roleResolver } from './analytics.ts';

export async function modelAdminRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  const roleOf = roleResolver(ctx);

  app.post(
    '/api/v1/admin/models/reload',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['admin'],
        summary: 'Reload the model registry (manifest.json) without downtime: engine workers are replaced one at a time',
        security: bearerSecurity,
        response: {
          202: {
            type: 'object',
            properties: {
              reloaded: { type: 'boolean' },
              /** Distributed mode: worker processes that received the request. */
              workers: { type: 'integer' },
              models: {
                type: 'array',
                items: { type: 'object', properties: { task: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' }, available: { type: 'boolean' } } },
              },
            },
          },
          ...errors(401, 403, 429, 501),
        },
      },
    },
    async (request, reply) => {
      if ((await roleOf(request)) !== 'admin') throw new HttpError(403, 'FORBIDDEN', 'the admin role is required');
      if (!ctx.reloadModels) throw new HttpError(501, 'NOT_SUPPORTED', 'this engine cannot reload its models');
      const outcome = await ctx.reloadModels();
      // The local pool answers with its new info; distributed mode with how many workers were told.
      if (typeof outcome === 'number') return reply.code(202).send({ reloaded: true, workers: outcome });
      return reply.code(202).send({ reloaded: true, models: ctx.analyzer.info().models });
    },
  );
}
