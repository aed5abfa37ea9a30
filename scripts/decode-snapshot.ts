/**
 * `node --import tsx scripts/decode-snapshot.ts [--engine DIR] [--out FILE]`: the decoded pixels
 * (sha256) and metadata of every input in testkit/decode-inputs.ts, or the error code and message,
 * as test/data/decode-snapshot.json. Taken from main's decode before the decode work of issue #14
 * (`--engine tmp/base`, main unpacked with `git archive main | tar -x -C tmp/base`);
 * test/decode-pixels.test.ts holds today's decode to it, pixel for pixel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { REPO } from '../testkit/fixtures.ts';
import { decodeInputs, sha } from '../testkit/decode-inputs.ts';

const { values } = commandLine({ options: { engine: { type: 'string', default: REPO }, out: { type: 'string', default: path.join(REPO, 'test/data/decode-snapshot.json') }, from: { type: 'string', default: 'main' } } });
const { decodeImage } = await import(path.join(path.resolve(values.engine), 'src/engine/decode/decode.ts'));
const entries: Record<string, unknown> = {};
for (const [name, bytes] of await decodeInputs()) entries[name] = await describe(bytes);
fs.writeFileSync(values.out, JSON.stringify({ taken_from: values.from, entries }, null, 1) + '\n');
console.log(`wrote ${values.out}`);

async function describe(bytes: Buffer) {
  try {
    const d = await decodeImage(bytes);
    const { width, height, data } = d.image;
    return { input: sha(bytes), format: d.format, width, height, originalWidth: d.originalWidth, originalHeight: d.originalHeight, scale: d.scale, pixels: sha(data) };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { input: sha(bytes), error: e.code, message: e.message };
  }
}
