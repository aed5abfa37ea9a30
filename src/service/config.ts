/**
 * Service configuration: read from environment variables once, validated with zod at start.
 * Everything else in the service takes the typed `ServiceConfig`, never `process.env`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ModelTask } from '../engine/api.ts';
import { parseAbSplit, parseShadow, type AbSplit } from './ab.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const positiveInt = z.coerce.number().int().positive();

/** The environment variables the service reads, with their defaults. `.env.example` documents each. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  // Loopback unless told otherwise: a container sets HOST=0.0.0.0 (the Dockerfile does).
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SKINSIGHT_DATA_DIR: z.string().min(1).default('./data'),
  SKINSIGHT_DB: z.enum(['sqlite', 'postgres']).default('sqlite'),
  SKINSIGHT_DATABASE_URL: z.string().optional(),
  SKINSIGHT_QUEUE: z.enum(['memory', 'bullmq']).default('memory'),
  SKINSIGHT_REDIS_URL: z.string().url().optional(),
  SKINSIGHT_REDIS_PREFIX: z.string().regex(/^[\w.-]{1,64}$/).default('skinsight'),
  SKINSIGHT_IMAGE_STORE: z.enum(['local', 'postgres']).default('local'),
  SKINSIGHT_CACHE: z.enum(['memory', 'redis', 'off']).optional(),
  SKINSIGHT_CACHE_ENTRIES: positiveInt.default(1000),
  SKINSIGHT_CACHE_TTL_S: positiveInt.default(86_400),
  SKINSIGHT_AB_SPLIT: z.string().optional(),
  SKINSIGHT_SHADOW: z.string().optional(),
  SKINSIGHT_BATCH_WINDOW_MS: z.coerce.number().min(0).max(5).default(0),
  SKINSIGHT_JOB_ATTEMPTS: positiveInt.default(3),
  SKINSIGHT_JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  SKINSIGHT_SWEEP_INTERVAL_S: positiveInt.default(30),
  SKINSIGHT_WORKER_CONCURRENCY: positiveInt.optional(),
  SKINSIGHT_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SKINSIGHT_METRICS: bool.default(true),
  SKINSIGHT_METRICS_TOKEN: z.string().min(16, 'SKINSIGHT_METRICS_TOKEN must be at least 16 characters').optional(),
  SKINSIGHT_JWT_SECRET: z.string().min(16, 'SKINSIGHT_JWT_SECRET must be at least 16 characters').optional(),
  SKINSIGHT_JWT_EXPIRES_IN: positiveInt.default(3600),
  SKINSIGHT_UPLOAD_LIMIT_MB: z.coerce.number().positive().default(10),
  SKINSIGHT_MAX_FILES_PER_REQUEST: positiveInt.default(16),
  SKINSIGHT_RETENTION_DAYS: z.coerce.number().positive().default(30),
  SKINSIGHT_PURGE_INTERVAL_MIN: z.coerce.number().positive().default(60),
  /** Days a scan (row and result) is kept; 0 keeps them until the user deletes them. */
  SKINSIGHT_RESULT_RETENTION_DAYS: z.coerce.number().min(0).default(0),
  SKINSIGHT_STORE_LANDMARKS: bool.default(false),
  SKINSIGHT_QUEUE_SIZE: positiveInt.default(64),
  SKINSIGHT_WORKERS: z.coerce.number().int().min(1).optional(),
  SKINSIGHT_MODELS_DIR: z.string().optional(),
  SKINSIGHT_CORS_ORIGINS: list.default([]),
  /** Removed (admin by registration): refused with a pointer to `skinsight users grant-admin`. */
  SKINSIGHT_ADMIN_EMAILS: z.string().optional(),
  SKINSIGHT_WEB_DIR: z.string().optional(),
  SKINSIGHT_API_KEYS: list.default([]),
  // 0 switches a limit off (benches, tests); refused in production.
  SKINSIGHT_RATE_LIMIT_IP: z.coerce.number().int().min(0).default(600),
  SKINSIGHT_RATE_LIMIT_USER: z.coerce.number().int().min(0).default(300),
  SKINSIGHT_RATE_LIMIT_AUTH: z.coerce.number().int().min(0).default(30),
  SKINSIGHT_RATE_LIMIT_WINDOW_S: positiveInt.default(60),
  SKINSIGHT_TRUST_PROXY: bool.default(false),
  SKINSIGHT_WAIT_TIMEOUT_S: positiveInt.default(60),
  SKINSIGHT_HEADER_TIMEOUT_S: z.coerce.number().positive().default(10),
  SKINSIGHT_BODY_TIMEOUT_S: z.coerce.number().positive().default(120),
  SKINSIGHT_IDLE_TIMEOUT_S: z.coerce.number().positive().default(90),
  SKINSIGHT_KEEP_ALIVE_TIMEOUT_S: z.coerce.number().positive().default(5),
  /** Test hook: hold each finished analysis this long before saving it (never in production). */
  SKINSIGHT_DEBUG_HOLD_MS: z.coerce.number().int().min(0).default(0),
});

export interface ServiceConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  logLevel: string;
  dataDir: string;
  db: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
  queue: {
    kind: 'memory' | 'bullmq';
    size: number;
    workers: number | undefined;
    /** Analysis tries per scan in both modes (a crash mid-analysis counts); then the scan fails ANALYSIS_ABORTED. */
    attempts: number;
    /** BullMQ: a job whose worker stops renewing its lock for this long is handed to another worker. */
    lockMs: number;
    /** Scans left in processing without a queued job (e.g. Redis lost its data) are re-queued this often. */
    sweepIntervalMs: number;
    /** Jobs one worker process runs at once (default: 2 per engine thread). */
    workerConcurrency: number | undefined;
  };
  /** Redis for the BullMQ queue and the shared result cache; keys start with `prefix:`. */
  redis: { url: string; prefix: string } | null;
  imageStore: 'local' | 'postgres';
  cache: { kind: 'memory' | 'redis' | 'off'; entries: number; ttlS: number };
  /** A/B traffic split per task (sticky per user) and shadow candidates; see ab.ts. */
  models: { abSplit: AbSplit; shadow: Partial<Record<ModelTask, string>>; batchWindowMs: number };
  /** Prometheus metrics at /metrics; worker processes serve them on metricsPort when set. */
  metrics: { enabled: boolean; port: number | undefined; token: string | undefined };
  jwt: { secret: string; expiresInS: number; generated: boolean };
  uploadLimitBytes: number;
  maxFilesPerRequest: number;
  /** days: stored photos; resultDays: whole scans (0 = keep); storeLandmarks: keep the mesh and polygons in stored results. */
  retention: { days: number; purgeIntervalMs: number; resultDays: number; storeLandmarks: boolean };
  modelsDir: string | undefined;
  corsOrigins: string[];
  /** The built web app served at `/` (default: the repository's web/dist, when it exists). */
  webDir: string;
  apiKeys: string[];
  rateLimit: { perIp: number; perUser: number; auth: number; windowMs: number };
  trustProxy: boolean;
  waitTimeoutMs: number;
  /**
   * Connection timeouts (slow clients and slow-loris): the request line and headers, then the
   * whole request with its body, must arrive within headerMs / bodyMs; a socket with no traffic
   * either way for idleMs is closed (longer than a ?wait=true answer takes); an idle keep-alive
   * connection between requests is closed after keepAliveMs.
   */
  timeouts: { headerMs: number; bodyMs: number; idleMs: number; keepAliveMs: number };
  debugHoldMs: number;
}

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parse and check the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Empty strings mean "unset" (a blank line in .env should not override a default).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.SKINSIGHT_JWT_SECRET) {
    throw new ConfigError('SKINSIGHT_JWT_SECRET is required when NODE_ENV=production');
  }
  if (e.SKINSIGHT_ADMIN_EMAILS !== undefined) {
    throw new ConfigError('SKINSIGHT_ADMIN_EMAILS was removed (anyone could register a listed e-mail): run `skinsight users grant-admin EMAIL` instead');
  }
  if (e.NODE_ENV === 'production') {
    const problems = productionProblems(e);
    if (problems.length > 0) throw new ConfigError(`refused in production (NODE_ENV=production):\n  ${problems.join('\n  ')}`);
  }
  if (e.NODE_ENV === 'production' && e.SKINSIGHT_DEBUG_HOLD_MS > 0) {
    throw new ConfigError('SKINSIGHT_DEBUG_HOLD_MS is a test hook and is refused when NODE_ENV=production');
  }
  const needsRedis = e.SKINSIGHT_QUEUE === 'bullmq' || e.SKINSIGHT_CACHE === 'redis';
  if (needsRedis && !e.SKINSIGHT_REDIS_URL) {
    throw new ConfigError('SKINSIGHT_REDIS_URL is required when SKINSIGHT_QUEUE=bullmq or SKINSIGHT_CACHE=redis');
  }
  if (e.SKINSIGHT_IMAGE_STORE === 'postgres' && e.SKINSIGHT_DB !== 'postgres') {
    throw new ConfigError('SKINSIGHT_IMAGE_STORE=postgres needs SKINSIGHT_DB=postgres');
  }
  if (e.SKINSIGHT_QUEUE === 'bullmq' && (e.SKINSIGHT_DB !== 'postgres' || e.SKINSIGHT_IMAGE_STORE !== 'postgres')) {
    // Workers on other machines must see the same rows and uploads.
    throw new ConfigError('SKINSIGHT_QUEUE=bullmq needs SKINSIGHT_DB=postgres and SKINSIGHT_IMAGE_STORE=postgres');
  }
  let abSplit: AbSplit;
  let shadow: Partial<Record<ModelTask, string>>;
  try {
    abSplit = parseAbSplit(e.SKINSIGHT_AB_SPLIT ?? '');
    shadow = parseShadow(e.SKINSIGHT_SHADOW ?? '');
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ${(err as Error).message}`);
  }
  if (e.SKINSIGHT_HEADER_TIMEOUT_S > e.SKINSIGHT_BODY_TIMEOUT_S) {
    throw new ConfigError('SKINSIGHT_HEADER_TIMEOUT_S must not exceed SKINSIGHT_BODY_TIMEOUT_S (the body timeout covers the headers too)');
  }
  if (e.SKINSIGHT_IDLE_TIMEOUT_S <= e.SKINSIGHT_WAIT_TIMEOUT_S) {
    throw new ConfigError('SKINSIGHT_IDLE_TIMEOUT_S must exceed SKINSIGHT_WAIT_TIMEOUT_S (a ?wait=true upload is silent while it waits)');
  }
  if (e.SKINSIGHT_DB === 'postgres' && !e.SKINSIGHT_DATABASE_URL) {
    throw new ConfigError('SKINSIGHT_DATABASE_URL is required when SKINSIGHT_DB=postgres');
  }
  const dataDir = path.resolve(e.SKINSIGHT_DATA_DIR);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    dataDir,
    db:
      e.SKINSIGHT_DB === 'postgres'
        ? { dialect: 'postgres', url: e.SKINSIGHT_DATABASE_URL! }
        : { dialect: 'sqlite', file: path.join(dataDir, 'skinsight.db') },
    queue: {
      kind: e.SKINSIGHT_QUEUE,
      size: e.SKINSIGHT_QUEUE_SIZE,
      workers: e.SKINSIGHT_WORKERS,
      attempts: e.SKINSIGHT_JOB_ATTEMPTS,
      lockMs: e.SKINSIGHT_JOB_LOCK_MS,
      sweepIntervalMs: e.SKINSIGHT_SWEEP_INTERVAL_S * 1000,
      workerConcurrency: e.SKINSIGHT_WORKER_CONCURRENCY,
    },
    redis: e.SKINSIGHT_REDIS_URL ? { url: e.SKINSIGHT_REDIS_URL, prefix: e.SKINSIGHT_REDIS_PREFIX } : null,
    imageStore: e.SKINSIGHT_IMAGE_STORE,
    // Distributed mode shares the cache in Redis; one process keeps it in memory.
    cache: {
      kind: e.SKINSIGHT_CACHE ?? (e.SKINSIGHT_QUEUE === 'bullmq' ? 'redis' : 'memory'),
      entries: e.SKINSIGHT_CACHE_ENTRIES,
      ttlS: e.SKINSIGHT_CACHE_TTL_S,
    },
    models: { abSplit, shadow, batchWindowMs: e.SKINSIGHT_BATCH_WINDOW_MS },
    metrics: { enabled: e.SKINSIGHT_METRICS, port: e.SKINSIGHT_METRICS_PORT, token: e.SKINSIGHT_METRICS_TOKEN },
    // Development without a secret gets a random one: tokens then die with the process.
    jwt: {
      secret: e.SKINSIGHT_JWT_SECRET ?? crypto.randomUUID() + crypto.randomUUID(),
      expiresInS: e.SKINSIGHT_JWT_EXPIRES_IN,
      generated: !e.SKINSIGHT_JWT_SECRET,
    },
    uploadLimitBytes: Math.round(e.SKINSIGHT_UPLOAD_LIMIT_MB * 1024 * 1024),
    maxFilesPerRequest: e.SKINSIGHT_MAX_FILES_PER_REQUEST,
    retention: {
      days: e.SKINSIGHT_RETENTION_DAYS,
      purgeIntervalMs: e.SKINSIGHT_PURGE_INTERVAL_MIN * 60_000,
      resultDays: e.SKINSIGHT_RESULT_RETENTION_DAYS,
      storeLandmarks: e.SKINSIGHT_STORE_LANDMARKS,
    },
    modelsDir: e.SKINSIGHT_MODELS_DIR,
    corsOrigins: e.SKINSIGHT_CORS_ORIGINS,
    webDir: path.resolve(e.SKINSIGHT_WEB_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist')),
    apiKeys: e.SKINSIGHT_API_KEYS,
    rateLimit: {
      perIp: e.SKINSIGHT_RATE_LIMIT_IP,
      perUser: e.SKINSIGHT_RATE_LIMIT_USER,
      auth: e.SKINSIGHT_RATE_LIMIT_AUTH,
      windowMs: e.SKINSIGHT_RATE_LIMIT_WINDOW_S * 1000,
    },
    trustProxy: e.SKINSIGHT_TRUST_PROXY,
    waitTimeoutMs: e.SKINSIGHT_WAIT_TIMEOUT_S * 1000,
    timeouts: {
      headerMs: Math.round(e.SKINSIGHT_HEADER_TIMEOUT_S * 1000),
      bodyMs: Math.round(e.SKINSIGHT_BODY_TIMEOUT_S * 1000),
      idleMs: Math.round(e.SKINSIGHT_IDLE_TIMEOUT_S * 1000),
      keepAliveMs: Math.round(e.SKINSIGHT_KEEP_ALIVE_TIMEOUT_S * 1000),
    },
    debugHoldMs: e.SKINSIGHT_DEBUG_HOLD_MS,
  };
}

const DAY_S = 86_400;

/** What production refuses to run with (issue #9, item 17); one line per problem. */
function productionProblems(e: z.infer<typeof EnvSchema>): string[] {
  const out: string[] = [];
  const secret = e.SKINSIGHT_JWT_SECRET ?? '';
  const bits = secretBits(secret);
  if (bits < 256) out.push(`SKINSIGHT_JWT_SECRET holds about ${Math.floor(bits)} bits; 256 are needed (e.g. openssl rand -base64 48)`);
  const shortKeys = e.SKINSIGHT_API_KEYS.filter((k) => k.length < 24).length;
  if (shortKeys > 0) out.push(`SKINSIGHT_API_KEYS: ${shortKeys} key(s) under 24 characters`);
  if (e.SKINSIGHT_JWT_EXPIRES_IN > DAY_S) out.push('SKINSIGHT_JWT_EXPIRES_IN is over 24 hours (86400 s)');
  for (const name of ['SKINSIGHT_RATE_LIMIT_IP', 'SKINSIGHT_RATE_LIMIT_USER', 'SKINSIGHT_RATE_LIMIT_AUTH'] as const) {
    if (e[name] === 0) out.push(`${name}=0 switches a rate limit off`);
  }
  return out;
}

/**
 * A generous upper bound on a secret's entropy: its length times log2 of the smallest usual
 * alphabet it fits (hex, base64, printable ASCII), and 0 for an obviously repeated string
 * (one unit repeated, or so few distinct characters that it cannot be random).
 */
export function secretBits(secret: string): number {
  const n = secret.length;
  if (n === 0) return 0;
  for (let unit = 1; unit <= n / 2; unit++) {
    if (n % unit === 0 && secret.slice(0, unit).repeat(n / unit) === secret) return 0;
  }
  const distinct = new Set(secret).size;
  // A random string of n symbols shows at least ~min(n, alphabet)/2 distinct ones.
  if (distinct < Math.min(12, n / 4)) return 0;
  const alphabet = /^[0-9a-fA-F]+$/.test(secret) ? 16 : /^[A-Za-z0-9+/=_-]+$/.test(secret) ? 64 : 95;
  return n * Math.log2(alphabet);
}
