/** POST /api/v1/admin/models/reload: reload the model registry without downtime (admin role). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { ModelsReloaded } from '../../contract/admin.ts';
import { HttpError } from '../http-errors.ts';
import { ADMIN } from '../route-errors.ts';
import { bearerSecurity, responseSchema } from '../schemas.ts';

export async function modelAdminRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;

  app.post(
    '/api/v1/admin/models/reload',
    {
      preHandler: app.requireAdmin,
      config: { errors: [...ADMIN, 'NOT_SUPPORTED'] },
      schema: {
        tags: ['admin'],
        summary: 'Reload the model registry (manifest.json) without downtime: engine workers are replaced one at a time',
        security: bearerSecurity,
        response: {
          202: responseSchema(ModelsReloaded),
        },
      },
    },
    async (_request, reply) => {
      if (!ctx.reloadModels) throw new HttpError('NOT_SUPPORTED');
      const outcome = await ctx.reloadModels();
      // The local pool answers with its new info; distributed mode with how many workers were told.
      const body: ModelsReloaded = typeof outcome === 'number' ? { reloaded: true, workers: outcome } : { reloaded: true, models: ctx.analyzer.info().models };
      return reply.code(202).send(body);
    },
  );
}
