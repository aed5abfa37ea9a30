/**
 * Accounts: register, log in, log out, change the password, who am I, delete me (and
 * everything that is mine).
 *
 * Register answers 202 with the same body whether or not the e-mail already has an account,
 * after the same work (one argon2 hash, one insert), so it tells nobody which addresses are
 * taken; the client then logs in. Login answers the same 401 for a wrong password and an
 * unknown address (a dummy hash is verified), and both count against the same per-account
 * throttle, keyed by the address.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AccountDeleted,
  ChangePasswordBody,
  Credentials,
  DeleteAccountBody,
  LoggedOut,
  PasswordChanged,
  Registered,
  Token,
  User,
} from '../../contract/auth.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, unauthorized } from '../http-errors.ts';
import { dummyHash, hashPassword, verifyPassword } from '../auth/passwords.ts';
import { checkPassword } from '../auth/password-policy.ts';
import { BEARER } from '../route-errors.ts';
import { bearerSecurity, bodySchema, responseSchema } from '../schemas.ts';
import { checkpointAfterDelete } from '../storage/db.ts';

const REGISTERED: Registered = {
  status: 'accepted',
  message: 'If this e-mail address could be registered, its account now exists with this password: log in to continue.',
};

export async function authRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  // Password guessing is limited harder than the rest, per IP (and per account: ctx.throttle).
  const authLimit = {
    rateLimit: ctx.config.rateLimit.auth > 0 ? { max: ctx.config.rateLimit.auth, timeWindow: ctx.config.rateLimit.windowMs } : (false as const),
  };

  /** Count the attempt, or refuse at once while the account is throttled; nothing is verified then. */
  async function throttled(address: string) {
    const wait = await ctx.throttle.attempt(address, ctx.clock());
    if (wait > 0) {
      throw new HttpError('LOGIN_THROTTLED', `too many failed logins for this account; retry in ${wait} s`, {}, { 'retry-after': String(wait) });
    }
  }

  /** The password of a logged-in account, checked for a sensitive change (throttled like a login). */
  async function confirmPassword(request: FastifyRequest, given: string) {
    const user = await ctx.users.findById(request.user.sub);
    if (!user) throw unauthorized('the account no longer exists');
    await throttled(user.email);
    if (!(await verifyPassword(user.password_hash, given))) {
      await ctx.throttle.failed(user.email, ctx.clock());
      throw new HttpError('WRONG_PASSWORD');
    }
    await ctx.throttle.succeeded(user.email);
    return user;
  }

  app.post<{ Body: Credentials }>(
    '/api/v1/auth/register',
    {
      config: { ...authLimit, errors: ['WEAK_PASSWORD'] },
      schema: {
        tags: ['auth'],
        summary: 'Create an account, then log in; the answer is the same whether or not the e-mail was free',
        body: bodySchema(Credentials),
        response: { 202: responseSchema(Registered) },
      },
    },
    async (request, reply) => {
      const address = request.body.email.toLowerCase();
      await checkPassword(request.body.password, address);
      const user = {
        id: crypto.randomUUID(),
        email: address,
        password_hash: await hashPassword(request.body.password),
        created_at: ctx.clock().toISOString(),
      };
      // A taken address does the same work and gets the same answer; its account is untouched.
      if (await ctx.users.create(user)) request.log.info({ userId: user.id }, 'user registered');
      return reply.code(202).send(REGISTERED);
    },
  );

  app.post<{ Body: Credentials }>(
    '/api/v1/auth/login',
    {
      config: { ...authLimit, errors: ['INVALID_CREDENTIALS', 'LOGIN_THROTTLED'] },
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns an access token (429 LOGIN_THROTTLED after 10 failures for the account)',
        body: bodySchema(Credentials),
        response: { 200: responseSchema(Token) },
      },
    },
    async (request): Promise<Token> => {
      const address = request.body.email.toLowerCase();
      await throttled(address);
      const user = await ctx.users.findByEmail(address);
      const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), request.body.password);
      if (!user || !ok) {
        await ctx.throttle.failed(address, ctx.clock());
        throw new HttpError('INVALID_CREDENTIALS');
      }
      await ctx.throttle.succeeded(address);
      return {
        ...(await app.issueToken(user)),
        user: { id: user.id, email: user.email, created_at: user.created_at },
      };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      preHandler: app.authenticate,
      config: { errors: BEARER },
      schema: {
        tags: ['auth'],
        summary: 'End this session: its token is refused from now on',
        security: bearerSecurity,
        response: { 200: responseSchema(LoggedOut) },
      },
    },
    async (request): Promise<LoggedOut> => {
      await ctx.sessions.delete(request.user.jti);
      return { logged_out: true };
    },
  );

  app.post<{ Body: ChangePasswordBody }>(
    '/api/v1/auth/password',
    {
      preHandler: app.authenticate,
      config: { ...authLimit, errors: [...BEARER, 'WRONG_PASSWORD', 'WEAK_PASSWORD', 'LOGIN_THROTTLED'] },
      schema: {
        tags: ['auth'],
        summary: 'Change the password (needs the current one); ends every other session',
        security: bearerSecurity,
        body: bodySchema(ChangePasswordBody),
        response: { 200: responseSchema(PasswordChanged) },
      },
    },
    async (request): Promise<PasswordChanged> => {
      const user = await confirmPassword(request, request.body.current_password);
      await checkPassword(request.body.new_password, user.email);
      await ctx.users.setPasswordHash(user.id, await hashPassword(request.body.new_password));
      const ended = await ctx.sessions.deleteOthers(user.id, request.user.jti);
      request.log.info({ userId: user.id, sessionsEnded: ended }, 'password changed');
      return { changed: true, sessions_ended: ended };
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      preHandler: app.authenticate,
      config: { errors: BEARER },
      schema: {
        tags: ['auth'],
        summary: 'The logged-in account',
        security: bearerSecurity,
        response: { 200: responseSchema(User) },
      },
    },
    async (request): Promise<User> => {
      const user = await ctx.users.findById(request.user.sub);
      if (!user) throw unauthorized('the account no longer exists');
      return { id: user.id, email: user.email, created_at: user.created_at };
    },
  );

  app.delete<{ Body: DeleteAccountBody }>(
    '/api/v1/auth/me',
    {
      preHandler: app.authenticate,
      config: { ...authLimit, errors: [...BEARER, 'WRONG_PASSWORD', 'LOGIN_THROTTLED'] },
      schema: {
        tags: ['auth'],
        summary: 'Delete the account with all its scans, results and images (needs the password)',
        security: bearerSecurity,
        body: bodySchema(DeleteAccountBody),
        response: { 200: responseSchema(AccountDeleted) },
      },
    },
    async (request): Promise<AccountDeleted> => {
      const user = await confirmPassword(request, request.body.password);
      const userId = user.id;
      // Keys first, then rows, then files: a crash in between leaves only unreferenced files,
      // never a row pointing at nothing the user could still see.
      const keys = await ctx.scans.imageKeysOfUser(userId);
      const cacheKeys = ctx.cache ? await ctx.scans.cacheKeys({ userId }) : [];
      const scansDeleted = await ctx.scans.deleteOfUser(userId);
      // Its sessions go by cascade, its login counts by key.
      await ctx.users.delete(userId);
      await ctx.throttle.succeeded(user.email);
      await checkpointAfterDelete(ctx.db);
      await Promise.all(keys.map((k) => ctx.images.delete(k)));
      // Cached results of the user's photos go with the account.
      if (cacheKeys.length > 0) await ctx.cache!.delete(cacheKeys);
      request.log.info({ userId, scansDeleted }, 'account deleted');
      return { deleted: true, scans_deleted: scansDeleted };
    },
  );
}
