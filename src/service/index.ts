/**
 * The service's entry: startServer(config?) builds the engine pool and the app and listens.
 * `node --import tsx src/service/index.ts` runs it directly; `skinsight serve` calls startServer.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Analyzer, EngineOptions } from '../engine/api.ts';
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
  const createEnginePool = await loadEnginePool();
  const analyzer = await createEnginePool({
    workers: config.queue.workers,
    modelsDir: config.modelsDir,
    logger: log.child({ component: 'engine' }),
  });
  // The pool logs `Using device: …` and `Loaded acne model from …` through the logger we gave it.
  const info = analyzer.info();

  const app = await buildApp(config, { analyzer, ownsAnalyzer: true, loggerInstance: log });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, loadMs: info.loadMs, workers: config.queue.workers }, 'ML Inference Service initialized successfully');

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
