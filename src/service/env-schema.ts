/**
 * Every environment variable the service reads: its type, default and documentation, once.
 * `config.ts` turns the parsed values into the nested `ServiceConfig` and adds the rules that
 * span several variables; `.env.example` is generated from this file (`npm run env:example`).
 *
 * To add a variable: add a key here with `.meta({ description })` (and `example` when it has no
 * default), read it in `toServiceConfig` (config.ts), add a cross-field rule there if it needs
 * one, then run `npm run env:example`. test/config.test.ts fails while `.env.example` is stale.
 */
import { z } from 'zod';
import { parseAbSplit, parseShadow } from './ab.ts';

/** What `.env.example` shows for a key: its description, and an example when it has no default. */
export interface EnvDoc {
  description: string;
  example?: string;
}

const doc = <S extends z.ZodType>(schema: S, description: string, example?: string): S =>
  schema.meta(example === undefined ? { description } : { description, example });

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const positiveInt = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(0).max(65535);

/** A text variable parsed by `parse`; its error message becomes a config problem, not a crash. */
const parsedText = <T>(parse: (text: string) => T) =>
  z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

export const EnvSchema = z.object({
  NODE_ENV: doc(
    z.enum(['development', 'production', 'test']).default('development'),
    'development | production | test. In production the service refuses to start with a missing or weak SKINSIGHT_JWT_SECRET, an API key under 24 characters, SKINSIGHT_JWT_EXPIRES_IN over 86400, or a rate limit set to 0 (see the README\'s "Security" section).',
  ),
  PORT: doc(port.default(8080), 'HTTP port (0: any free port).'),
  HOST: doc(
    z.string().min(1).default('127.0.0.1'),
    'HTTP interface. The default, 127.0.0.1, is reachable from this machine only; a container (the Dockerfile) sets HOST=0.0.0.0 and publishes the port behind a TLS proxy.',
  ),
  LOG_LEVEL: doc(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino level: fatal, error, warn, info, debug, trace, silent.'),

  SKINSIGHT_DATA_DIR: doc(z.string().min(1).default('./data'), 'Folder for the SQLite database (skinsight.db) and uploaded images (images/).'),
  SKINSIGHT_DB: doc(z.enum(['sqlite', 'postgres']).default('sqlite'), 'Database: sqlite (embedded, default) or postgres (then SKINSIGHT_DATABASE_URL is required).'),
  SKINSIGHT_DATABASE_URL: doc(z.string().optional(), 'PostgreSQL connection URL (with SKINSIGHT_DB=postgres).', 'postgres://skinsight:secret@127.0.0.1:5432/skinsight'),
  SKINSIGHT_QUEUE: doc(
    z.enum(['memory', 'bullmq']).default('memory'),
    'Job queue: memory (in-process, default) or bullmq (Redis; needs SKINSIGHT_REDIS_URL, SKINSIGHT_DB=postgres and SKINSIGHT_IMAGE_STORE=postgres; the analyses then run in `skinsight worker` processes).',
  ),
  SKINSIGHT_REDIS_URL: doc(z.string().url().optional(), 'Redis for the BullMQ queue and the shared result cache.', 'redis://127.0.0.1:6379'),
  SKINSIGHT_REDIS_PREFIX: doc(z.string().regex(/^[\w.-]{1,64}$/).default('skinsight'), 'Prefix of every Redis key (several deployments, or test runs, can share one Redis).'),
  SKINSIGHT_IMAGE_STORE: doc(
    z.enum(['local', 'postgres']).default('local'),
    'Where uploads wait for analysis: local (the data folder, default) or postgres (the database, shared by all processes).',
  ),
  SKINSIGHT_JOB_ATTEMPTS: doc(
    positiveInt.default(3),
    'Analysis tries per scan, in both queue modes (a crash mid-analysis counts as one; after the last the scan fails with ANALYSIS_ABORTED, so a photo that crashes the service cannot crash it forever).',
  ),
  SKINSIGHT_JOB_LOCK_MS: doc(
    z.coerce.number().int().min(1000).default(30_000),
    'BullMQ: how long (ms) a worker may go silent before its job is handed to another worker (crash detection).',
  ),
  SKINSIGHT_SWEEP_INTERVAL_S: doc(positiveInt.default(30), 'BullMQ: how often (s) scans left in processing without a queued job are re-queued.'),
  SKINSIGHT_DEVICE: doc(
    z.enum(['auto', 'cpu']).default('auto'),
    'Where ONNX Runtime runs the models, in `serve`, `skinsight worker` and `skinsight analyze`: auto (CUDA where its provider is installed, else the CPU) or cpu (never CUDA).',
  ),
  SKINSIGHT_WORKERS: doc(z.coerce.number().int().min(1).optional(), 'Engine worker threads in each process that analyses (`serve` with the memory queue, or `skinsight worker`). Default: the number of CPU cores.'),
  SKINSIGHT_WORKER_CONCURRENCY: doc(
    positiveInt.optional(),
    'Analyses one process runs at once (`serve` with the memory queue, or `skinsight worker`). Default: 2 per engine thread, so a thread never waits while the event loop does the I/O around a job.',
  ),
  SKINSIGHT_QUEUE_SIZE: doc(positiveInt.default(64), 'Scans waiting or running before uploads are refused with 503 + Retry-After.'),
  SKINSIGHT_SCANS_IN_FLIGHT_PER_USER: doc(
    z.coerce.number().int().min(0).default(8),
    'Scans one account may have uploaded and not yet finished (queued or analysing), counted in the scans table so it holds across API processes: past it an upload is refused with 429 TOO_MANY_SCANS and Retry-After, so one account cannot fill SKINSIGHT_QUEUE_SIZE. 0: no limit.',
  ),
  SKINSIGHT_MODELS_DIR: doc(z.string().optional(), "Folder with the model manifest and ONNX files (default: the repository's models/).", '/srv/skinsight/models'),

  SKINSIGHT_CACHE: doc(
    z.enum(['memory', 'redis', 'off']).optional(),
    'Result cache (same image bytes + model versions + options → the stored result): memory (LRU, default), redis (default with SKINSIGHT_QUEUE=bullmq) or off. Entries are deleted with their scan or account.',
    'memory',
  ),
  SKINSIGHT_CACHE_ENTRIES: doc(positiveInt.default(1000), 'Most entries of the in-memory result cache.'),
  SKINSIGHT_CACHE_TTL_S: doc(
    positiveInt.default(86_400),
    'Seconds a cached result is kept; at most one hour while SKINSIGHT_STORE_LANDMARKS=false (an entry holds the face mesh, which the database keeps that long).',
  ),

  SKINSIGHT_AB_SPLIT: doc(
    parsedText(parseAbSplit),
    'A/B test: versions per task with weights, assigned stickily per user (hash of the user id). Every version must be in the manifest.',
    'acne_binary=2.0.0:90,2.1.0:10;skin_condition=2.0.0:50,2.1.0:50',
  ),
  SKINSIGHT_SHADOW: doc(
    parsedText(parseShadow),
    'Shadow mode: candidate versions run beside the live model; their predictions are stored (the admin analytics compare them) but never shown.',
    'acne_binary=2.1.0',
  ),
  SKINSIGHT_BATCH_WINDOW_MS: doc(
    z.coerce.number().min(0).max(5).default(0),
    'Micro-batching: classifier calls within this window (0..5 ms) on one engine thread run as one ONNX batch. 0: off.',
  ),

  SKINSIGHT_METRICS: doc(bool.default(true), 'Prometheus metrics at /metrics.'),
  SKINSIGHT_METRICS_PORT: doc(port.optional(), 'Worker processes serve their metrics (and /health/live) on this port when set.', '9464'),
  SKINSIGHT_METRICS_TOKEN: doc(
    z.string().min(16, 'SKINSIGHT_METRICS_TOKEN must be at least 16 characters').optional(),
    'Bearer token (16+ characters) that /metrics then requires (Authorization: Bearer …), on the API and the workers. /metrics is never rate-limited. Set it whenever the port is reachable by others.',
  ),

  SKINSIGHT_JWT_SECRET: doc(
    z.string().min(16, 'SKINSIGHT_JWT_SECRET must be at least 16 characters').optional(),
    'Secret that signs access tokens (HS256), at least 16 characters. REQUIRED in production, with at least 256 bits of entropy and not a repeated pattern: `openssl rand -base64 48` (or -hex 32). In development a random one is made at each start (tokens then die with the process).',
  ),
  SKINSIGHT_JWT_EXPIRES_IN: doc(
    positiveInt.default(3600),
    'Access-token lifetime in seconds (at most 86400 in production). Logout, a password change and account deletion end sessions at once, whatever the lifetime.',
  ),

  SKINSIGHT_UPLOAD_LIMIT_MB: doc(z.coerce.number().positive().default(10), 'Largest upload in megabytes, enforced while streaming (413 over it).'),
  SKINSIGHT_MAX_FILES_PER_REQUEST: doc(positiveInt.default(16), 'Most files in one POST /api/v1/analyze request.'),
  SKINSIGHT_UPLOAD_INFLIGHT_MB: doc(
    z.coerce.number().min(0).default(512),
    'Upload megabytes all requests of one process may have in flight (each is held in memory while it is read): past it an upload is refused at once with 503 UPLOADS_BUSY and Retry-After. A request reserves its Content-Length, or its route\'s whole limit when chunked. 0: no budget.',
  ),
  SKINSIGHT_UPLOAD_USER_SHARE: doc(
    z.coerce.number().gt(0).max(1).default(0.25),
    'The most of SKINSIGHT_UPLOAD_INFLIGHT_MB one account may hold, as a fraction (0 < share <= 1): once its token is checked, an upload past the account\'s share is refused with 429 TOO_MANY_UPLOADS and Retry-After (its first upload never is). Uploads with an API key count only against the whole budget.',
  ),
  SKINSIGHT_RETENTION_DAYS: doc(z.coerce.number().positive().default(30), 'Days a photo uploaded with store_image=true is kept.'),
  SKINSIGHT_PURGE_INTERVAL_MIN: doc(z.coerce.number().positive().default(60), 'How often (minutes) the purge of expired photos and scans runs.'),
  SKINSIGHT_RESULT_RETENTION_DAYS: doc(
    z.coerce.number().min(0).default(0),
    'Days a finished scan (row, result, photo, cache entry) is kept; 0 (default) keeps it until the user deletes it or the account.',
  ),
  SKINSIGHT_STORE_LANDMARKS: doc(
    bool.default(false),
    'Keep the 468-point face mesh and the region polygons in stored results. false (default): stored results have them emptied; they are kept apart for one hour so the owner\'s result page can draw them.',
  ),

  SKINSIGHT_CORS_ORIGINS: doc(list.default([]), 'Comma-separated browser origins allowed by CORS (none by default).', 'https://skin.example.org'),
  SKINSIGHT_ADMIN_EMAILS: doc(
    z.string().optional(),
    'Removed: the service refuses to start while it is set (anyone could register a listed e-mail). Admins (the analytics dashboard at /#/admin) are named by the operator on the server: `skinsight users grant-admin EMAIL` / `revoke-admin EMAIL` (same environment as serve).',
    'boss@example.org',
  ),
  SKINSIGHT_WEB_DIR: doc(z.string().optional(), 'Folder of the built web app served at / (default: web/dist; build it with npm run build:web).', '/srv/skinsight/web'),
  SKINSIGHT_API_KEYS: doc(
    list.default([]),
    'Comma-separated API keys accepted by POST /api/v1/analyze (X-API-Key header). None: endpoint closed. At least 24 characters each in production (e.g. openssl rand -base64 24).',
  ),

  SKINSIGHT_RATE_LIMIT_IP: doc(
    z.coerce.number().int().min(0).default(600),
    'Requests per window per client IP, all routes. 0 switches it off (benches, tests; refused in production).',
  ),
  SKINSIGHT_RATE_LIMIT_USER: doc(z.coerce.number().int().min(0).default(300), 'Requests per window per user, authenticated routes. 0: off (refused in production).'),
  SKINSIGHT_RATE_LIMIT_AUTH: doc(
    z.coerce.number().int().min(0).default(30),
    'Requests per window per IP on register/login. 0: off (refused in production). On top of these, each account refuses logins for a growing back-off (1, 2, 4, 8, then 15 min) after 10 failures.',
  ),
  SKINSIGHT_RATE_LIMIT_WINDOW_S: doc(positiveInt.default(60), 'The rate limits\' time window in seconds.'),
  SKINSIGHT_TRUST_PROXY: doc(bool.default(false), 'Trust X-Forwarded-For (only behind a proxy you control).'),
  SKINSIGHT_WAIT_TIMEOUT_S: doc(positiveInt.default(60), 'Longest an upload with ?wait=true waits for its result before answering 202.'),
  SKINSIGHT_HEADER_TIMEOUT_S: doc(z.coerce.number().positive().default(10), 'Slow clients (slow-loris): the request line and headers must arrive within this many seconds.'),
  SKINSIGHT_BODY_TIMEOUT_S: doc(z.coerce.number().positive().default(120), 'The whole request with its body must arrive within this many seconds (at least the header timeout).'),
  SKINSIGHT_IDLE_TIMEOUT_S: doc(
    z.coerce.number().positive().default(90),
    'A connection silent both ways for this many seconds is closed (more than SKINSIGHT_WAIT_TIMEOUT_S: a ?wait=true upload is silent while it waits).',
  ),
  SKINSIGHT_KEEP_ALIVE_TIMEOUT_S: doc(z.coerce.number().positive().default(5), 'An idle keep-alive connection is closed after this many seconds.'),
  SKINSIGHT_WEBHOOK_URL: doc(
    z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL').optional(),
    'POSTed a signed event (Standard Webhooks) when a scan completes or fails; http or https only, redirects are not followed.',
    'https://app.example.org/hooks/skinsight',
  ),
  SKINSIGHT_WEBHOOK_SECRET: doc(
    z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be whsec_ followed by base64 of 24 to 64 bytes').optional(),
    'The webhook signing secret, required with SKINSIGHT_WEBHOOK_URL: whsec_ followed by base64 of 24 to 64 random bytes.',
    'whsec_$(openssl rand -base64 32)',
  ),
  SKINSIGHT_WEBHOOK_ALLOW_PRIVATE: doc(
    bool.default(false),
    'Production refuses loopback and private webhook destinations (SSRF) unless this is true; development and tests allow them.',
  ),
  SKINSIGHT_WEBHOOK_RETRY_BASE_MS: doc(
    z.coerce.number().int().min(10).default(5000),
    "The first webhook retry's delay in ms; each next one doubles (capped at 2 h) until 24 h after the event.",
  ),
  SKINSIGHT_DEBUG_HOLD_MS: doc(
    z.coerce.number().int().min(0).default(0),
    'Test hook: hold each finished analysis this long before saving it (crash-recovery tests). Refused in production.',
  ),
});

export type Env = z.output<typeof EnvSchema>;
export type EnvKey = keyof Env;

/** The documentation of one key, as given to `doc` above. */
export function envDoc(key: EnvKey): EnvDoc {
  const meta = EnvSchema.shape[key].meta() as EnvDoc | undefined;
  if (!meta?.description) throw new Error(`${key} has no description in env-schema.ts`);
  return meta;
}

/** A key's default as the text one would write in `.env`, or undefined when it has none. */
export function envDefault(key: EnvKey): string | undefined {
  let schema: z.core.$ZodType = EnvSchema.shape[key];
  // Walk through the wrappers (meta, transforms) to the default, if any.
  for (;;) {
    const def = schema._zod.def as { type: string; defaultValue?: unknown; in?: z.core.$ZodType; innerType?: z.core.$ZodType };
    if (def.type === 'default') {
      const value = def.defaultValue;
      return Array.isArray(value) ? value.join(',') : String(value);
    }
    if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.innerType) schema = def.innerType;
    else return undefined;
  }
}
