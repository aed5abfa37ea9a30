/**
 * The service's entry: startServer(config?) builds the engine pool and the app and listens.
 * `node --import tsx src/service/index.ts` runs it directly; `skinsight serve` calls startServer.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// First: process settings that must exist before ONNX Runtime loads.
import '../boot/ort-telemetry.ts';
import type { FastifyInstance } from 'fastify';
import type { Analyzer, EngineOptions } from '../engine/api.ts';
import { deviceFromEnv } from '../boot/engine-env.ts';
import { buildApp } from './app.ts';
import { loadConfig, type ServiceConfig } from './config.ts';

export { buildApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type ServiceConfig } from './config.ts';

type PoolFactory = (options: EngineOptions & { workers?: number }) => Promise<Analyzer>;

async function loadEnginePool(): Promise<PoolFactory> {
  const mod = (await import('../engine/pool.ts')) as { createEnginePool: PoolFactory };
  return mod.createEnginePool;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: ServiceConfig = loadConfig()): Promise<RunningServer> {
  const pino = (await import('pino')).default;
  const log = pino({ level: config.logLevel });
  if (config.jwt.generated) {
    log.warn('SKINSIGHT_JWT_SECRET is not set: using a random secret, tokens will not survive a restart');
  }
  let analyzer: Analyzer;
  if (config.queue.kind === 'bullmq') {
    // Distributed mode: a stateless API; the engines run in `skinsight worker` processes.
    const { RemoteAnalyzer } = await import('./queue/remote-analyzer.ts');
    const remote = new RemoteAnalyzer(config.redis!.url, config.redis!.prefix, config.waitTimeoutMs);
    await remote.ready(2000);
    analyzer = remote;
  } else {
    const createEnginePool = await loadEnginePool();
    analyzer = await createEnginePool({
      workers: config.queue.workers,
      modelsDir: config.modelsDir,
      batchWindowMs: config.models.batchWindowMs,
    device: deviceFromEnv(),
      logger: log.child({ component: 'engine' }),
    });
  }
  // The pool logs `Using device: …` and `Loaded acne model from …` through the logger we gave it.
  let info: { loadMs: number } = { loadMs: 0 };
  try {
    info = analyzer.info();
  } catch {
    log.warn('no analysis worker is up yet; /health/ready answers 503 until one is');
  }

  const app = await buildApp(config, { analyzer, ownsAnalyzer: true, loggerInstance: log });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, loadMs: info.loadMs, workers: config.queue.workers, queue: config.queue.kind }, 'ML Inference Service initialized successfully');

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  return { app, url, close };
}

function isMain(): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  startServer()
    .then((server) => {
      // SIGHUP: reload the model registry without downtime (as POST /api/v1/admin/models/reload).
      process.on('SIGHUP', () => {
        server.app.skinsight.reloadModels?.().catch((err: unknown) => server.app.log.error({ err: String(err) }, 'model reload failed'));
      });
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
