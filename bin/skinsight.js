#!/usr/bin/env node
// The skinsight command. Installed or in the image it runs the JavaScript that `npm run build`
// emits to dist/. In a source checkout with the dev dependencies (src/ and tsx present) it runs
// the TypeScript itself, so an edit needs no rebuild and a stale dist/ is never what runs.
import fs from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const tsx = fs.existsSync(source) ? await import('tsx/esm/api').catch(() => null) : null;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
