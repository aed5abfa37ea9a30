/**
 * A small distributed skinsight on this machine: N API processes and M worker processes against
 * the local PostgreSQL and Redis, each run with its own fresh database and Redis key prefix,
 * removed again on stop. The cluster tests use it; it also runs by hand:
 *
 *   node --import tsx scripts/cluster.ts [--apis 2] [--workers 2] [--engines 1] [--models DIR]
 *
 * prints the API URLs and runs until Ctrl-C (then cleans up). Needs PostgreSQL (admin URL from
 * SKINSIGHT_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/test) and Redis
 * (SKINSIGHT_REDIS_URL, default redis://127.0.0.1:6379).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from '../testkit/command-line.ts';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDb } from '../src/service/storage/db.ts';
import { migrateToLatest } from '../src/service/storage/migrations.ts';
import { startServiceProcess, type ServiceProcess } from '../testkit/service-process.ts';

export const PG_ADMIN_URL = process.env.SKINSIGHT_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.SKINSIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface ClusterOptions {
  apis?: number;
  workers?: number;
  /** Engine threads per worker process. */
  engines?: number;
  modelsDir?: string;
  /** Extra environment for every process (e.g. short lock times in tests). */
  env?: Record<string, string>;
  /** Print the processes' log lines (default: keep them in memory only). */
  echo?: boolean;
}

/** One process of the cluster: the test kit's child process, with its role and index. */
export interface Proc extends ServiceProcess {
  index: number;
}

export interface Cluster {
  apis: Proc[];
  workers: Proc[];
  databaseUrl: string;
  prefix: string;
  env: Record<string, string>;
  /** SIGKILL a process (a crash). */
  kill(p: Proc): Promise<void>;
  /** Start a replacement for a killed process, same role and index. */
  restart(p: Proc): Promise<Proc>;
  /** One more worker process, optionally with its own extra environment. */
  addWorker(extraEnv?: Record<string, string>): Promise<Proc>;
  stop(): Promise<void>;
}

function adminUrlFor(db: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new, empty database on the local PostgreSQL (tests and the cluster each make their own); its URL. */
export async function createDatabase(name: string): Promise<string> {
  await asAdmin(`CREATE DATABASE ${name}`);
  return adminUrlFor(name);
}

/** Drops a database made by createDatabase, even while clients are still connected. */
export async function dropDatabase(name: string): Promise<void> {
  await asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const id = crypto.randomBytes(4).toString('hex');
  const dbName = `skinsight_cluster_${id}`;
  const prefix = `skinsight-cluster-${id}`;
  const databaseUrl = await createDatabase(dbName);
  // Migrate once up front, so the processes start on a ready schema and never race each other.
  const db = await createDb({ dialect: 'postgres', url: databaseUrl });
  await migrateToLatest(db);
  await db.destroy();

  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    SKINSIGHT_DB: 'postgres',
    SKINSIGHT_DATABASE_URL: databaseUrl,
    SKINSIGHT_QUEUE: 'bullmq',
    SKINSIGHT_IMAGE_STORE: 'postgres',
    SKINSIGHT_REDIS_URL: REDIS_URL,
    SKINSIGHT_REDIS_PREFIX: prefix,
    SKINSIGHT_JWT_SECRET: `cluster-secret-${id}-0123456789`,
    SKINSIGHT_WORKERS: String(options.engines ?? 1),
    SKINSIGHT_RATE_LIMIT_IP: '1000000',
    SKINSIGHT_RATE_LIMIT_USER: '1000000',
    SKINSIGHT_RATE_LIMIT_AUTH: '100000',
    SKINSIGHT_QUEUE_SIZE: '1000',
    SKINSIGHT_DATA_DIR: path.join('/tmp', prefix),
    ...(options.modelsDir ? { SKINSIGHT_MODELS_DIR: options.modelsDir } : {}),
    ...options.env,
  };
  const all: Proc[] = [];

  const launch = async (role: 'api' | 'worker', index: number, extraEnv: Record<string, string> = {}): Promise<Proc> => {
    const child = await startServiceProcess({
      role,
      env: { ...env, ...extraEnv },
      echo: options.echo ? (line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(`[${role}${index}] ${line}\n`) : undefined,
    });
    const p: Proc = Object.assign(child, { index });
    all.push(p);
    return p;
  };

  const cluster: Cluster = {
    apis: [],
    workers: [],
    databaseUrl,
    prefix,
    env,
    async kill(p) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      await p.exited;
    },
    async restart(p) {
      const fresh = await launch(p.role, p.index);
      const list = p.role === 'api' ? cluster.apis : cluster.workers;
      list[list.indexOf(p)] = fresh;
      return fresh;
    },
    async addWorker(extraEnv) {
      const w = await launch('worker', cluster.workers.length, extraEnv);
      cluster.workers.push(w);
      return w;
    },
    async stop() {
      await Promise.all(all.map((p) => p.stop()));
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      await dropDatabase(dbName);
    },
  };

  try {
    // Workers first: the APIs then see live engines at once.
    cluster.workers = await Promise.all(Array.from({ length: options.workers ?? 2 }, (_, i) => launch('worker', i)));
    cluster.apis = await Promise.all(Array.from({ length: options.apis ?? 2 }, (_, i) => launch('api', i)));
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

function isMain(): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const { values } = commandLine({
    options: {
      apis: { type: 'string', default: '2' },
      workers: { type: 'string', default: '2' },
      engines: { type: 'string', default: '1' },
      models: { type: 'string' },
      echo: { type: 'boolean', default: false },
    },
  });
  const cluster = await startCluster({
    apis: Number(values.apis),
    workers: Number(values.workers),
    engines: Number(values.engines),
    modelsDir: values.models,
    echo: values.echo,
  });
  console.log(JSON.stringify({ apis: cluster.apis.map((a) => a.url), workers: cluster.workers.length, database: cluster.databaseUrl, prefix: cluster.prefix }));
  const stop = () => cluster.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
