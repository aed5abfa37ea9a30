/**
 * Authentication: JWT bearer tokens for people (`authenticate`), API keys for
 * server-to-server calls (`authenticateApiKey`), and the admin policy (`requireAdmin`: a valid
 * token of an account whose role is admin). All are preHandlers the routes opt into.
 * A token must carry `exp` and a `jti` naming a live row of the sessions table: logging out or
 * changing the password deletes rows, and the check is the one indexed lookup per request that
 * already read the account.
 */
import crypto from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { reportLimit } from '../rate-limit-headers.ts';
import fp from 'fastify-plugin';
import type { ErrorCode } from '../../contract/errors.ts';
import { HttpError } from '../http-errors.ts';
import type { SessionRepo, SessionUser } from '../storage/sessions.ts';

/** No e-mail: a JWT's payload is only base64, readable by whatever logs or stores the token. */
export interface TokenClaims {
  sub: string;
  /** The session id (a row of `sessions`). */
  jti: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** After authenticateApiKey: a digest naming the key (never the key), e.g. to scope idempotency keys. */
    apiKeyId?: string;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply?: FastifyReply): Promise<void>;
    authenticateApiKey(request: FastifyRequest): Promise<void>;
    /** `authenticate`, then 403 FORBIDDEN unless the account's role is admin (read on every request: a revoke acts at once). */
    requireAdmin(request: FastifyRequest, reply?: FastifyReply): Promise<void>;
    /** Open a session for the account and sign its token. */
    issueToken(user: { id: string }): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; expires_at: string }>;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The account behind the bearer token, as read by `authenticate` (with its current role). */
    account: SessionUser | null;
  }
}

export interface AuthOptions {
  secret: string;
  expiresInS: number;
  apiKeys: string[];
  sessions: SessionRepo;
  perUserLimit: number;
  windowMs: number;
  clock: () => Date;
}

const JWT_CODES: Record<string, [ErrorCode, string]> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: ['UNAUTHORIZED', 'a bearer token is required'],
  FST_JWT_BAD_REQUEST: ['INVALID_TOKEN', 'the Authorization header must be "Bearer <token>"'],
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: ['TOKEN_EXPIRED', 'the token has expired; log in again'],
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: ['INVALID_TOKEN', 'the token is not valid'],
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: ['INVALID_TOKEN', 'the token is not valid'],
};

function sameSecret(a: string, b: string): boolean {
  // Compare digests so neither length nor content leaks through timing.
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** A claim that names a row: a non-empty string of bounded length (ids are UUIDs). */
function isClaimId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128;
}

async function auth(app: FastifyInstance, opts: AuthOptions) {
  await app.register(fastifyJwt, {
    secret: opts.secret,
    sign: { algorithm: 'HS256', expiresIn: opts.expiresInS },
    // A token without an expiry or a session id is refused, even when its signature is good.
    verify: { algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'jti'] },
  });

  const perUser = app.createRateLimit({
    max: opts.perUserLimit,
    timeWindow: opts.windowMs,
    keyGenerator: (req) => `user:${req.user.sub}`,
  });

  app.decorate('issueToken', async (user: { id: string }) => {
    const jti = crypto.randomUUID();
    const now = opts.clock();
    const expiresAt = new Date(now.getTime() + opts.expiresInS * 1000);
    await opts.sessions.create({ id: jti, userId: user.id, now, expiresAt });
    const token = app.jwt.sign({ sub: user.id, jti });
    return { access_token: token, token_type: 'Bearer' as const, expires_in: opts.expiresInS, expires_at: expiresAt.toISOString() };
  });

  app.decorate('authenticate', async (request: FastifyRequest, reply?: FastifyReply) => {
    try {
      await request.jwtVerify();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const [ours, message] = JWT_CODES[code] ?? ['INVALID_TOKEN', 'the token is not valid'];
      throw new HttpError(ours, message);
    }
    const { sub, jti } = request.user;
    // Validly signed is not well formed: claims of another shape are refused before any lookup.
    if (!isClaimId(sub) || !isClaimId(jti)) throw new HttpError('INVALID_TOKEN');
    // Logged out, password changed, or account deleted (its sessions go with it).
    const user = await opts.sessions.userOf(jti, sub);
    if (!user) throw new HttpError('SESSION_ENDED');
    request.account = user;
    if (opts.perUserLimit === 0) return;
    const limit = await perUser(request);
    if (reply && !limit.isAllowed) reportLimit(reply, { limit: limit.max, remaining: limit.remaining, resetS: limit.ttlInSeconds });
    if (!limit.isAllowed && limit.isExceeded) {
      throw new HttpError('RATE_LIMITED', `too many requests; retry in ${limit.ttlInSeconds} s`, {}, {
        'retry-after': String(limit.ttlInSeconds),
      });
    }
  });

  app.decorateRequest('account', null);

  app.decorate('requireAdmin', async (request: FastifyRequest, reply?: FastifyReply) => {
    // With the reply, so an admin route reports the per-user limit like every other bearer route.
    await app.authenticate(request, reply);
    if (request.account?.role !== 'admin') throw new HttpError('FORBIDDEN');
  });

  app.decorate('authenticateApiKey', async (request: FastifyRequest) => {
    const header = request.headers['x-api-key'];
    const bearer = request.headers.authorization?.match(/^ApiKey\s+(.+)$/i)?.[1];
    const key = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (!key || !opts.apiKeys.some((k) => sameSecret(k, key))) {
      throw new HttpError('INVALID_API_KEY');
    }
    request.apiKeyId = crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
  });
}

export const authPlugin = fp(auth, { name: 'skinsight-auth', dependencies: ['@fastify/rate-limit'] });
