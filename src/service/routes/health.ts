/** Liveness (the process answers) and readiness (models loaded, database reachable). */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Live, Ready } from '../../contract/health.ts';
import type { RegistryEntryStatus } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';
import { callerIsAdmin, publicEntry, publicStatus } from '../model-reasons.ts';
import { responseSchema } from '../schemas.ts';

export async function healthRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;

  app.get(
    '/health/live',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: responseSchema(Live) },
      },
    },
    async (): Promise<Live> => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Ready to analyse: models loaded and the database reachable (503 otherwise)',
        description: 'An unavailable model shows a `reason_code`; the full `reason` only with an admin bearer token.',
        response: {
          '2xx': readySchema,
          503: readySchema,
        },
      },
    },
    async (request, reply) => {
      const admin = await callerIsAdmin(app, request);
      let database = true;
      try {
        await sql`select 1`.execute(ctx.db);
      } catch {
        database = false;
      }
      let engine: Ready['engine'];
      let registry: RegistryEntryStatus[] = [];
      try {
        const info = ctx.analyzer.info();
        registry = info.registry ?? [];
        engine = { device: info.device, models: info.models.map((m) => publicStatus(m, registry, admin)) };
      } catch {
        engine = null;
      }
      const ready = database && engine !== null;
      const body: Ready = {
        status: ready ? 'ready' : 'not_ready',
        database,
        engine,
        queue: { depth: ctx.queue.depth(), capacity: ctx.queue.capacity },
        // Every version in the registry with its state, as Triton's per-model readiness.
        models: registry.map((m) => publicEntry({ task: m.task, name: m.name, version: m.version, default: m.default, state: m.state, reason: m.reason }, admin)),
      };
      return reply.code(ready ? 200 : 503).send(body);
    },
  );
}

const readySchema = responseSchema(Ready);
