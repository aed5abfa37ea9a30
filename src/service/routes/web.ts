/**
 * Serves the built web app (web/dist, `npm run build:web`) at `/`, when it exists.
 * Hashed assets are cached for a year; index.html never is, so a deploy shows at once.
 * Any other GET outside the API is a client-side route: it gets index.html (SPA fallback).
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { sendError } from '../http-errors.ts';

/** Paths that belong to the service itself: a miss there is a JSON 404, never the app. */
const SERVICE_PATHS = /^\/(api|health|docs|openapi\.json)(\/|$|\?)/;

/**
 * Same-origin only: the app needs nothing from elsewhere (no CDNs, no fonts). The camera's live
 * checks compile TF.js' WebAssembly in a same-origin worker: 'wasm-unsafe-eval' allows
 * compiling WebAssembly and nothing else (no eval of strings).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function webRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const root = opts.ctx.config.webDir;
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.info({ webDir: root }, 'web app not built (npm run build:web); not serving /');
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Routes for the files present at start; everything else falls to the handler below.
    wildcard: false,
    index: ['index.html'],
    setHeaders(res, file) {
      if (file.endsWith('.html')) {
        res.setHeader('cache-control', 'no-cache');
        res.setHeader('content-security-policy', CSP);
      } else if (file.includes(`${path.sep}assets${path.sep}`)) {
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      }
    },
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const url = request.url;
    if (SERVICE_PATHS.test(url) || path.extname(url.split('?')[0]!) !== '') {
      return sendError(reply, 'NOT_FOUND', `no route ${request.method} ${url.split('?')[0]}`);
    }
    return reply.header('cache-control', 'no-cache').header('content-security-policy', CSP).sendFile('index.html');
  });
}
