/**
 * Writes models/spec.json from the model spec (src/engine/models/spec.ts), for the Python
 * training code. Run after changing the spec: `npm run model-spec`; test/model-spec.test.ts
 * fails while the two differ.
 */
import fs from 'node:fs';
import { MODEL_SPEC } from '../src/engine/models/spec.ts';

export const SPEC_JSON_PATH = new URL('../models/spec.json', import.meta.url);

export function specJson(): string {
  return JSON.stringify(MODEL_SPEC, null, 2) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  fs.writeFileSync(SPEC_JSON_PATH, specJson());
  console.log(`wrote ${SPEC_JSON_PATH.pathname}`);
}
