/** Liveness (the process answers) and readiness (models loaded, database reachable). */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { RegistryEntryStatus } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';

export async function healthRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;

  app.get(
    '/health/live',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Ready to analyse: models loaded and the database reachable (503 otherwise)',
        response: {
          '2xx': readySchema,
          503: readySchema,
        },
      },
    },
    async (_request, reply) => {
      let database = true;
      try {
        await sql`select 1`.execute(ctx.db);
      } catch {
        database = false;
      }
      let engine: { device: string; models: unknown[] } | null;
      let registry: RegistryEntryStatus[] = [];
      try {
        const info = ctx.analyzer.info();
        engine = { device: info.device, models: info.models };
        registry = info.registry ?? [];
      } catch {
        engine = null;
      }
      const ready = database && engine !== null;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        database,
        engine,
        queue: { depth: ctx.queue.depth(), capacity: ctx.queue.capacity },
        // Every version in the registry with its state, as Triton's per-model readiness.
        models: registry.map((m) => ({ task: m.task, name: m.name, version: m.version, default: m.default, state: m.state, ...(m.reason ? { reason: m.reason } : {}) })),
      });
    },
  );
}

const readySchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    database: { type: 'boolean' },
    engine: {
      type: ['object', 'null'],
      properties: {
        device: { type: 'string' },
        models: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              task: { type: 'string' },
              name: { type: 'string' },
              version: { type: 'string' },
              available: { type: 'boolean' },
              reason: { type: 'string' },
            },
          },
        },
      },
    },
    queue: { type: 'object', properties: { depth: { type: 'integer' }, capacity: { type: 'integer' } } },
    models: {
      type: 'array',
      description: 'Every model version in the registry: ready (loaded, checked, warmed up) or unavailable with the reason',
      items: {
        type: 'object',
        required: ['task', 'name', 'version', 'default', 'state'],
        properties: {
          task: { type: 'string' },
          name: { type: 'string' },
          version: { type: 'string' },
          default: { type: 'boolean' },
          state: { type: 'string', enum: ['ready', 'unavailable'] },
          reason: { type: 'string' },
        },
      },
    },
  },
} as const;
