/**
 * The operator's routes: the caller's role (the web app shows the dashboard to admins) and the
 * inference analytics per model version (aggregation in ../analytics.ts). Admins are users whose
 * role is 'admin', set only by the operator (`skinsight users grant-admin`); `requireAdmin`
 * (auth plugin) enforces it.
 */
import type { FastifyInstance } from 'fastify';
import { ANALYTICS_MAX_ROWS, Analytics, AnalyticsQuery, RoleView } from '../../contract/admin.ts';
import { aggregate, parseShadow, slim, type AnalyticsRow } from '../analytics.ts';
import type { ServiceContext } from '../context.ts';
import { ADMIN, BEARER } from '../route-errors.ts';
import { bearerSecurity, querySchema, responseSchema } from '../schemas.ts';

/** Rows read per query: results carry landmarks, so only one page of full JSON is ever in memory. */
const PAGE = 500;

export async function adminRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;

  app.get(
    '/api/v1/admin/role',
    {
      preHandler: app.authenticate,
      config: { errors: BEARER },
      schema: {
        tags: ['admin'],
        summary: "The caller's role (the web app shows the dashboard to admins)",
        security: bearerSecurity,
        response: { 200: responseSchema(RoleView) },
      },
    },
    async (request): Promise<RoleView> => ({ role: request.account?.role === 'admin' ? 'admin' : 'user' }),
  );

  app.get<{ Querystring: AnalyticsQuery }>(
    '/api/v1/admin/analytics',
    {
      preHandler: app.requireAdmin,
      config: { errors: ADMIN },
      schema: {
        tags: ['admin'],
        summary: 'Inference analytics per model version over the last `hours` (admin role)',
        security: bearerSecurity,
        querystring: querySchema(AnalyticsQuery),
        response: { 200: responseSchema(Analytics) },
      },
    },
    async (request): Promise<Analytics> => {
      const to = ctx.clock();
      const from = new Date(to.getTime() - request.query.hours * 3_600_000);
      // Newest first, page by page; the slim rows kept are small.
      const rows: AnalyticsRow[] = [];
      let after: { created_at: string; id: string } | null = null;
      let truncated = false;
      for (;;) {
        const page = await ctx.scans.analyticsPage(from.toISOString(), after, PAGE);
        for (const { result_json, shadow_json, id: _id, ...row } of page) rows.push({ ...row, result: slim(result_json), shadow: parseShadow(shadow_json) });
        if (page.length < PAGE) break;
        if (rows.length >= ANALYTICS_MAX_ROWS) {
          truncated = true;
          break;
        }
        const last = page[page.length - 1]!;
        after = { created_at: last.created_at, id: last.id };
      }
      return { ...aggregate(rows, from, to), truncated };
    },
  );
}
