/**
 * Authentication: JWT bearer tokens for people (`authenticate`), API keys for
 * server-to-server calls (`authenticateApiKey`). Both are preHandlers the routes opt into.
 */
import crypto from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, unauthorized } from '../http-errors.ts';
import type { UserRepo } from '../storage/users.ts';

export interface TokenClaims {
  sub: string;
  email: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
    authenticateApiKey(request: FastifyRequest): Promise<void>;
    issueToken(claims: TokenClaims): { access_token: string; token_type: 'Bearer'; expires_in: number; expires_at: string };
  }
}

export interface AuthOptions {
  secret: string;
  expiresInS: number;
  apiKeys: string[];
  users: UserRepo;
  perUserLimit: number;
  windowMs: number;
  clock: () => Date;
}

const JWT_CODES: Record<string, [string, string]> = {
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

async function auth(app: FastifyInstance, opts: AuthOptions) {
  await app.register(fastifyJwt, {
    secret: opts.secret,
    sign: { algorithm: 'HS256', expiresIn: opts.expiresInS },
    verify: { algorithms: ['HS256'] },
  });

  const perUser = app.createRateLimit({
    max: opts.perUserLimit,
    timeWindow: opts.windowMs,
    keyGenerator: (req) => `user:${req.user.sub}`,
  });

  app.decorate('issueToken', (claims: TokenClaims) => {
    const token = app.jwt.sign(claims);
    return {
      access_token: token,
      token_type: 'Bearer' as const,
      expires_in: opts.expiresInS,
      expires_at: new Date(opts.clock().getTime() + opts.expiresInS * 1000).toISOString(),
    };
  });

  app.decorate('authenticate', async (request: FastifyRequest) => {
    try {
      await request.jwtVerify();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const [ours, message] = JWT_CODES[code] ?? ['INVALID_TOKEN', 'the token is not valid'];
      throw new HttpError(401, ours, message);
    }
    // Validly signed is not well formed: claims of another shape are refused before any lookup.
    if (typeof request.user.sub !== 'string' || request.user.sub.length === 0 || request.user.sub.length > 128) {
      throw new HttpError(401, 'INVALID_TOKEN', 'the token is not valid');
    }
    // A deleted account's tokens die with it.
    const user = await opts.users.findById(request.user.sub);
    if (!user) throw unauthorized('the account no longer exists');
    const limit = await perUser(request);
    if (!limit.isAllowed && limit.isExceeded) {
      throw new HttpError(429, 'RATE_LIMITED', `too many requests; retry in ${limit.ttlInSeconds} s`, {}, {
        'retry-after': String(limit.ttlInSeconds),
      });
    }
  });

  app.decorate('authenticateApiKey', async (request: FastifyRequest) => {
    const header = request.headers['x-api-key'];
    const bearer = request.headers.authorization?.match(/^ApiKey\s+(.+)$/i)?.[1];
    const key = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (!key || !opts.apiKeys.some((k) => sameSecret(k, key))) {
      throw new HttpError(401, 'INVALID_API_KEY', 'a valid API key is required (X-API-Key header)');
    }
  });
}

export const authPlugin = fp(auth, { name: 'skinsight-auth', dependencies: ['@fastify/rate-limit'] });
