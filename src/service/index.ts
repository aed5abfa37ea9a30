/**
 * The service's entry: startServer(config?) builds the app (and with it the services, engine
 * pool included: services.ts) and listens.
 * `node --import tsx src/service/index.ts` runs it directly; `skinsight serve` calls startServer.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// First: process settings that must exist before ONNX Runtime loads.
import '../boot/ort-telemetry.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { loadConfig, type ServiceConfig } from './config.ts';
import { announceReady } from './ready.ts';

export { buildApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type ServiceConfig } from './config.ts';

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
  // The engine pool (or, in distributed mode, the link to the workers) is built by createServices inside buildApp.
  const app = await buildApp(config, { loggerInstance: log });
  // The pool logs `Using device: …` and `Loaded acne model from …` through the app's logger.
  let info: { loadMs: number } = { loadMs: 0 };
  try {
    info = app.skinsight.analyzer.info();
  } catch {
    log.warn('no analysis worker is up yet; /health/ready answers 503 until one is');
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, loadMs: info.loadMs, ...app.skinsight.sizing, queue: config.queue.kind }, 'ML Inference Service initialized successfully');

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
      announceReady({ role: 'api', url: server.url, ...server.app.skinsight.sizing });
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
