/** Accounts: register, log in, who am I, delete me (and everything that is mine). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { HttpError, unauthorized } from '../http-errors.ts';
import { dummyHash, hashPassword, verifyPassword } from '../auth/passwords.ts';
import { bearerSecurity, errors, tokenSchema } from '../schemas.ts';

const credentials = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    password: { type: 'string', minLength: 8, maxLength: 256 },
  },
} as const;

const userSchema = {
  type: 'object',
  required: ['id', 'email', 'created_at'],
  properties: { id: { type: 'string' }, email: { type: 'string' }, created_at: { type: 'string' } },
} as const;

interface Credentials {
  email: string;
  password: string;
}

export async function authRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  // Password guessing is limited harder than the rest, per IP.
  const authLimit = { rateLimit: { max: ctx.config.rateLimit.auth, timeWindow: ctx.config.rateLimit.windowMs } };

  app.post<{ Body: Credentials }>(
    '/api/v1/auth/register',
    {
      config: authLimit,
      schema: {
        tags: ['auth'],
        summary: 'Create an account; returns an access token',
        body: credentials,
        response: { 201: tokenSchema, ...errors(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const email = request.body.email.toLowerCase();
      const user = {
        id: crypto.randomUUID(),
        email,
        password_hash: await hashPassword(request.body.password),
        created_at: ctx.clock().toISOString(),
      };
      if (!(await ctx.users.create(user))) throw new HttpError(409, 'EMAIL_TAKEN', 'an account with this email exists');
      request.log.info({ userId: user.id }, 'user registered');
      return reply.code(201).send({
        ...app.issueToken({ sub: user.id, email }),
        user: { id: user.id, email, created_at: user.created_at },
      });
    },
  );

  app.post<{ Body: Credentials }>(
    '/api/v1/auth/login',
    {
      config: authLimit,
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns an access token',
        body: credentials,
        response: { 200: tokenSchema, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const user = await ctx.users.findByEmail(request.body.email);
      const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), request.body.password);
      if (!user || !ok) throw new HttpError(401, 'INVALID_CREDENTIALS', 'wrong email or password');
      return {
        ...app.issueToken({ sub: user.id, email: user.email }),
        user: { id: user.id, email: user.email, created_at: user.created_at },
      };
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'The logged-in account',
        security: bearerSecurity,
        response: { 200: userSchema, ...errors(401, 429) },
      },
    },
    async (request) => {
      const user = await ctx.users.findById(request.user.sub);
      if (!user) throw unauthorized('the account no longer exists');
      return { id: user.id, email: user.email, created_at: user.created_at };
    },
  );

  app.delete(
    '/api/v1/auth/me',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Delete the account with all its scans, results and images',
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            properties: { deleted: { type: 'boolean' }, scans_deleted: { type: 'integer' } },
          },
          ...errors(401, 429),
        },
      },
    },
    async (request) => {
      const userId = request.user.sub;
      // Keys first, then rows, then files: a crash in between leaves only unreferenced files,
      // never a row pointing at nothing the user could still see.
      const keys = await ctx.scans.imageKeysOfUser(userId);
      const cacheKeys = ctx.cache ? await ctx.scans.cacheKeys({ userId }) : [];
      const scansDeleted = await ctx.scans.deleteOfUser(userId);
      await ctx.users.delete(userId);
      await Promise.all(keys.map((k) => ctx.images.delete(k)));
      // Cached results of the user's photos go with the account.
      if (cacheKeys.length > 0) await ctx.cache!.delete(cacheKeys);
      request.log.info({ userId, scansDeleted }, 'account deleted');
      return { deleted: true, scans_deleted: scansDeleted };
    },
  );
}
