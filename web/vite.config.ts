/**
 * Vite build of the web app: `npm run build:web` writes web/dist, which the service serves at /.
 * VITE_API_BASE (build time) points the app at a service on another origin; empty = same origin.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'vite';

// FaceMesh's weights for the camera's live guidance (web/src/capture/): the package's exports
// hide its models/ folder, so it gets an alias.
const human = path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human'));

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset paths: the same build works at / and under a sub-path (e.g. GitHub Pages).
  base: './',
  // Preact's automatic JSX runtime, without a framework plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    alias: {
      // The client package from its source (no separate build step before the web app's).
      '@skinsight/client': new URL('../packages/client/src/index.ts', import.meta.url).pathname,
      '@facemesh': path.join(human, '..', 'models'),
    },
  },
  plugins: [
    {
      // The page's bundle runs no TF.js (the capture worker has its own bundle: `worker` below;
      // top-level plugins do not apply to it in a build), but the engine's browser.ts re-exports
      // the mesh runner beside the score bands and tone colours, and TF.js' package.json marks its
      // modules as having side effects, which kept ~68 kB of it in the page, unused.
      name: 'skinsight:no-tfjs-in-the-page',
      apply: 'build',
      transform: {
        filter: { id: /[\\/]node_modules[\\/]@tensorflow[\\/]/ },
        handler: (code: string) => ({ code, map: null, moduleSideEffects: false }),
      },
    },
  ],
  // The capture worker is an ES module (Chromium, Firefox, Safari 15+).
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything is inlined or bundled locally: no CDN, no web fonts, works offline.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' } },
});
