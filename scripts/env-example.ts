/** Writes .env.example from the config schema (src/service/env-schema.ts): `npm run env:example`. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvExample } from '../src/service/env-example.ts';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.env.example');
fs.writeFileSync(file, renderEnvExample());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
