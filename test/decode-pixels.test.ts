/**
 * Today's decode against main's before the decode work of issue #14 (test/data/decode-snapshot.json,
 * scripts/decode-snapshot.ts): the same pixels (sha256), sizes, scale and format, or the same
 * error code and message, for every fixture file and the synthetic cases of testkit/decode-inputs.ts
 * (EXIF orientations 1–8, Display P3, over 2048 px, alpha, grey, 16-bit, WebP, AVIF, too small, a
 * damaged header). A synthetic input whose bytes changed (a sharp upgrade re-encodes them) is
 * reported as such: re-take the snapshot from the previous decode then.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { decodeInputs, sha } from '../testkit/decode-inputs.ts';
import { REPO } from '../testkit/fixtures.ts';

const snapshot = JSON.parse(fs.readFileSync(path.join(REPO, 'test/data/decode-snapshot.json'), 'utf8')) as { entries: Record<string, Record<string, unknown>> };

test('decoded pixels, sizes and refusals are bit-identical to the snapshot on every decode input', async () => {
  const inputs = await decodeInputs();
  assert.deepEqual(inputs.map(([n]) => n).sort(), Object.keys(snapshot.entries).sort(), 'the same inputs');
  for (const [name, bytes] of inputs) {
    const want = snapshot.entries[name];
    assert.equal(sha(bytes), want.input, `${name}: the input itself changed (re-take the snapshot)`);
    let got: Record<string, unknown>;
    try {
      const d = await decodeImage(bytes);
      const { width, height, data } = d.image;
      got = { input: sha(bytes), format: d.format, width, height, originalWidth: d.originalWidth, originalHeight: d.originalHeight, scale: d.scale, pixels: sha(data) };
    } catch (error) {
      const e = error as Error & { code?: string };
      got = { input: sha(bytes), error: e.code, message: e.message };
    }
    assert.deepEqual(got, want, name);
  }
});
