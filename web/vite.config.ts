/**
 * Vite build of the web app: `npm run build:web` writes web/dist, which the service serves at /.
 * VITE_API_BASE (build time) points the app at a service on another origin; empty = same origin.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset paths: the same build works at / and under a sub-path (e.g. GitHub Pages).
  base: './',
  // Preact's automatic JSX runtime, without a framework plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The client package from its source (no separate build step before the web app's).
  resolve: { alias: { '@skinsight/client': new URL('../packages/client/src/index.ts', import.meta.url).pathname } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Everything is inlined or bundled locally: no CDN, no web fonts, works offline.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' } },
});
