/**
 * Service configuration: read from environment variables once, validated at start against the
 * one schema in env-schema.ts, then shaped into the nested `ServiceConfig` by `toServiceConfig`.
 * Everything else in the service takes the typed `ServiceConfig`, never `process.env`.
 * Every problem is reported at once, in one ConfigError: each bad variable, then each broken
 * rule between variables (a rule is checked only when the variables it reads are valid).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvSchema, type Env, type EnvKey } from './env-schema.ts';

/** What the service runs with: the shape `toServiceConfig` returns. */
export type ServiceConfig = ReturnType<typeof toServiceConfig>;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A rule between variables: the keys it reads and, when broken, the problem in one line (or several). */
interface Rule {
  reads: readonly EnvKey[];
  check(e: Env): string | string[] | null;
}

const production = (e: Env) => e.NODE_ENV === 'production';

const RULES: readonly Rule[] = [
  {
    reads: ['NODE_ENV', 'SKINSIGHT_JWT_SECRET'],
    check: (e) => (production(e) && !e.SKINSIGHT_JWT_SECRET ? 'SKINSIGHT_JWT_SECRET is required when NODE_ENV=production' : null),
  },
  {
    reads: ['SKINSIGHT_ADMIN_EMAILS'],
    check: (e) =>
      e.SKINSIGHT_ADMIN_EMAILS !== undefined
        ? 'SKINSIGHT_ADMIN_EMAILS was removed (anyone could register a listed e-mail): run `skinsight users grant-admin EMAIL` instead'
        : null,
  },
  {
    reads: ['NODE_ENV', 'SKINSIGHT_JWT_SECRET', 'SKINSIGHT_API_KEYS', 'SKINSIGHT_JWT_EXPIRES_IN', 'SKINSIGHT_RATE_LIMIT_IP', 'SKINSIGHT_RATE_LIMIT_USER', 'SKINSIGHT_RATE_LIMIT_AUTH', 'SKINSIGHT_WEBHOOK_SECRET'],
    check: (e) => (production(e) ? productionProblems(e).map((p) => `refused in production (NODE_ENV=production): ${p}`) : null),
  },
  {
    reads: ['SKINSIGHT_WEBHOOK_URL', 'SKINSIGHT_WEBHOOK_SECRET'],
    check: (e) =>
      e.SKINSIGHT_WEBHOOK_URL && !e.SKINSIGHT_WEBHOOK_SECRET
        ? 'SKINSIGHT_WEBHOOK_SECRET is required with SKINSIGHT_WEBHOOK_URL (e.g. whsec_$(openssl rand -base64 32))'
        : null,
  },
  {
    reads: ['NODE_ENV', 'SKINSIGHT_DEBUG_HOLD_MS'],
    check: (e) => (production(e) && e.SKINSIGHT_DEBUG_HOLD_MS > 0 ? 'SKINSIGHT_DEBUG_HOLD_MS is a test hook and is refused when NODE_ENV=production' : null),
  },
  {
    reads: ['SKINSIGHT_QUEUE', 'SKINSIGHT_CACHE', 'SKINSIGHT_REDIS_URL'],
    check: (e) =>
      (e.SKINSIGHT_QUEUE === 'bullmq' || e.SKINSIGHT_CACHE === 'redis') && !e.SKINSIGHT_REDIS_URL
        ? 'SKINSIGHT_REDIS_URL is required when SKINSIGHT_QUEUE=bullmq or SKINSIGHT_CACHE=redis'
        : null,
  },
  {
    reads: ['SKINSIGHT_IMAGE_STORE', 'SKINSIGHT_DB'],
    check: (e) => (e.SKINSIGHT_IMAGE_STORE === 'postgres' && e.SKINSIGHT_DB !== 'postgres' ? 'SKINSIGHT_IMAGE_STORE=postgres needs SKINSIGHT_DB=postgres' : null),
  },
  {
    reads: ['SKINSIGHT_QUEUE', 'SKINSIGHT_DB', 'SKINSIGHT_IMAGE_STORE'],
    // Workers on other machines must see the same rows and uploads.
    check: (e) =>
      e.SKINSIGHT_QUEUE === 'bullmq' && (e.SKINSIGHT_DB !== 'postgres' || e.SKINSIGHT_IMAGE_STORE !== 'postgres')
        ? 'SKINSIGHT_QUEUE=bullmq needs SKINSIGHT_DB=postgres and SKINSIGHT_IMAGE_STORE=postgres'
        : null,
  },
  {
    reads: ['SKINSIGHT_HEADER_TIMEOUT_S', 'SKINSIGHT_BODY_TIMEOUT_S'],
    check: (e) =>
      e.SKINSIGHT_HEADER_TIMEOUT_S > e.SKINSIGHT_BODY_TIMEOUT_S
        ? 'SKINSIGHT_HEADER_TIMEOUT_S must not exceed SKINSIGHT_BODY_TIMEOUT_S (the body timeout covers the headers too)'
        : null,
  },
  {
    reads: ['SKINSIGHT_IDLE_TIMEOUT_S', 'SKINSIGHT_WAIT_TIMEOUT_S'],
    check: (e) =>
      e.SKINSIGHT_IDLE_TIMEOUT_S <= e.SKINSIGHT_WAIT_TIMEOUT_S
        ? 'SKINSIGHT_IDLE_TIMEOUT_S must exceed SKINSIGHT_WAIT_TIMEOUT_S (a ?wait=true upload is silent while it waits)'
        : null,
  },
  {
    reads: ['SKINSIGHT_DB', 'SKINSIGHT_DATABASE_URL'],
    check: (e) => (e.SKINSIGHT_DB === 'postgres' && !e.SKINSIGHT_DATABASE_URL ? 'SKINSIGHT_DATABASE_URL is required when SKINSIGHT_DB=postgres' : null),
  },
];

/**
 * SKINSIGHT_DEVICE alone, with the same schema, for the commands that start an engine without the
 * service (`skinsight analyze`); throws a ConfigError for a bad value.
 */
export function engineDevice(env: NodeJS.ProcessEnv = process.env): Env['SKINSIGHT_DEVICE'] {
  const parsed = EnvSchema.shape.SKINSIGHT_DEVICE.safeParse(env.SKINSIGHT_DEVICE || undefined);
  if (!parsed.success) throw new ConfigError(`invalid configuration (1 problem):\n  SKINSIGHT_DEVICE: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Parse and check the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // Empty strings mean "unset" (a blank line in .env should not override a default).
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const problems: string[] = [];
  // Key by key, so that one bad variable does not hide the rules that do not read it.
  const valid: Partial<Record<EnvKey, unknown>> = {};
  for (const [key, schema] of Object.entries(EnvSchema.shape) as [EnvKey, (typeof EnvSchema.shape)[EnvKey]][]) {
    const parsed = schema.safeParse(input[key]);
    if (parsed.success) valid[key] = parsed.data;
    else for (const issue of parsed.error.issues) problems.push(issue.message.startsWith(key) ? issue.message : `${key}: ${issue.message}`);
  }
  for (const rule of RULES) {
    if (!rule.reads.every((k) => k in valid)) continue;
    const broken = rule.check(valid as Env);
    if (broken) problems.push(...[broken].flat());
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
  return toServiceConfig(valid as Env);
}

/** The nested configuration, from valid variables. */
function toServiceConfig(e: Env) {
  const dataDir = path.resolve(e.SKINSIGHT_DATA_DIR);
  const db: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string } =
    e.SKINSIGHT_DB === 'postgres' ? { dialect: 'postgres', url: e.SKINSIGHT_DATABASE_URL! } : { dialect: 'sqlite', file: path.join(dataDir, 'skinsight.db') };
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL as string,
    dataDir,
    db,
    queue: {
      kind: e.SKINSIGHT_QUEUE,
      size: e.SKINSIGHT_QUEUE_SIZE,
      /** Scans one account may have uploaded and not yet finished (queued or analysing); 0: no limit. */
      perUser: e.SKINSIGHT_SCANS_IN_FLIGHT_PER_USER,
      /** Engine threads per analysing process (undefined: the cores); see sizing.ts. */
      workers: e.SKINSIGHT_WORKERS,
      /** Analysis tries per scan in both modes (a crash mid-analysis counts); then the scan fails ANALYSIS_ABORTED. */
      attempts: e.SKINSIGHT_JOB_ATTEMPTS,
      /** BullMQ: a job whose worker stops renewing its lock for this long is handed to another worker. */
      lockMs: e.SKINSIGHT_JOB_LOCK_MS,
      /** Scans left in processing without a queued job (e.g. Redis lost its data) are re-queued this often. */
      sweepIntervalMs: e.SKINSIGHT_SWEEP_INTERVAL_S * 1000,
      /** Jobs one analysing process runs at once (undefined: 2 per engine thread); see sizing.ts. */
      workerConcurrency: e.SKINSIGHT_WORKER_CONCURRENCY,
    },
    /** Redis for the BullMQ queue and the shared result cache; keys start with `prefix:`. */
    redis: e.SKINSIGHT_REDIS_URL ? { url: e.SKINSIGHT_REDIS_URL, prefix: e.SKINSIGHT_REDIS_PREFIX } : null,
    imageStore: e.SKINSIGHT_IMAGE_STORE,
    // Distributed mode shares the cache in Redis; one process keeps it in memory.
    cache: {
      kind: e.SKINSIGHT_CACHE ?? (e.SKINSIGHT_QUEUE === 'bullmq' ? 'redis' : 'memory'),
      entries: e.SKINSIGHT_CACHE_ENTRIES,
      ttlS: e.SKINSIGHT_CACHE_TTL_S,
    },
    /** A/B traffic split per task (sticky per user) and shadow candidates; see ab.ts. */
    models: { abSplit: e.SKINSIGHT_AB_SPLIT, shadow: e.SKINSIGHT_SHADOW, batchWindowMs: e.SKINSIGHT_BATCH_WINDOW_MS },
    /** Prometheus metrics at /metrics; worker processes serve them on metricsPort when set. */
    metrics: { enabled: e.SKINSIGHT_METRICS, port: e.SKINSIGHT_METRICS_PORT, token: e.SKINSIGHT_METRICS_TOKEN },
    // Development without a secret gets a random one: tokens then die with the process.
    jwt: {
      secret: e.SKINSIGHT_JWT_SECRET ?? crypto.randomUUID() + crypto.randomUUID(),
      expiresInS: e.SKINSIGHT_JWT_EXPIRES_IN,
      generated: !e.SKINSIGHT_JWT_SECRET,
    },
    uploadLimitBytes: Math.round(e.SKINSIGHT_UPLOAD_LIMIT_MB * 1024 * 1024),
    maxFilesPerRequest: e.SKINSIGHT_MAX_FILES_PER_REQUEST,
    /** Upload bytes in flight in one process (upload-budget.ts); 0: no budget. */
    uploadInflightBytes: Math.round(e.SKINSIGHT_UPLOAD_INFLIGHT_MB * 1024 * 1024),
    /** The most of that budget one account may hold (upload-budget.ts). */
    uploadUserShare: e.SKINSIGHT_UPLOAD_USER_SHARE,
    /** days: stored photos; resultDays: whole scans (0 = keep); storeLandmarks: keep the mesh and polygons in stored results. */
    retention: {
      days: e.SKINSIGHT_RETENTION_DAYS,
      purgeIntervalMs: e.SKINSIGHT_PURGE_INTERVAL_MIN * 60_000,
      resultDays: e.SKINSIGHT_RESULT_RETENTION_DAYS,
      storeLandmarks: e.SKINSIGHT_STORE_LANDMARKS,
    },
    modelsDir: e.SKINSIGHT_MODELS_DIR,
    /** The engine's `device` option (auto: CUDA where available). */
    device: e.SKINSIGHT_DEVICE,
    corsOrigins: e.SKINSIGHT_CORS_ORIGINS,
    /** The built web app served at `/` (default: the repository's web/dist, when it exists). */
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
    /**
     * Connection timeouts (slow clients and slow-loris): the request line and headers, then the
     * whole request with its body, must arrive within headerMs / bodyMs; a socket with no traffic
     * either way for idleMs is closed (longer than a ?wait=true answer takes); an idle keep-alive
     * connection between requests is closed after keepAliveMs.
     */
    timeouts: {
      headerMs: Math.round(e.SKINSIGHT_HEADER_TIMEOUT_S * 1000),
      bodyMs: Math.round(e.SKINSIGHT_BODY_TIMEOUT_S * 1000),
      idleMs: Math.round(e.SKINSIGHT_IDLE_TIMEOUT_S * 1000),
      keepAliveMs: Math.round(e.SKINSIGHT_KEEP_ALIVE_TIMEOUT_S * 1000),
    },
    debugHoldMs: e.SKINSIGHT_DEBUG_HOLD_MS,
    /** Signed scan events (webhooks/); null when SKINSIGHT_WEBHOOK_URL is unset. */
    webhook: e.SKINSIGHT_WEBHOOK_URL
      ? {
          url: e.SKINSIGHT_WEBHOOK_URL,
          secret: e.SKINSIGHT_WEBHOOK_SECRET!,
          allowPrivate: e.SKINSIGHT_WEBHOOK_ALLOW_PRIVATE || e.NODE_ENV !== 'production',
          retryBaseMs: e.SKINSIGHT_WEBHOOK_RETRY_BASE_MS,
        }
      : null,
  };
}

const DAY_S = 86_400;

/** What production refuses to run with (issue #9, item 17); one line per problem. */
function productionProblems(e: Env): string[] {
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
  // The schema already wants whsec_ + base64 of 24 to 64 bytes (Standard Webhooks); production
  // also wants them random: 24 bytes are 192 bits, the 32 base64 characters that carry them.
  const hook = e.SKINSIGHT_WEBHOOK_SECRET?.replace(/^whsec_/, '');
  if (hook !== undefined && webhookSecretBits(hook) < 192) {
    out.push(`SKINSIGHT_WEBHOOK_SECRET holds about ${Math.floor(webhookSecretBits(hook))} bits; 192 (24 random bytes) are needed: whsec_$(openssl rand -base64 32)`);
  }
  return out;
}

/**
 * The entropy bound of a Standard Webhooks secret, judged on the bytes its base64 carries (the
 * base64 text of a passphrase looks random). Bytes that are all printable ASCII are text: random
 * bytes are that with odds of (95/256)^24 < 1e-10, so they are judged as the text they spell.
 */
function webhookSecretBits(base64: string): number {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.every((b) => b >= 0x20 && b < 0x7f)) return secretBits(bytes.toString('latin1'));
  return secretBits(bytes.toString('latin1')) === 0 ? 0 : bytes.length * 8;
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
