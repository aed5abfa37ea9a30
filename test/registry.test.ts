/**
 * A missing, corrupt or mismatching model never stops the engine and is never replaced by a
 * made-up value: that part of the result says `available: false` with a reason, the rest works.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createEngine } from '../src/engine/index.ts';
import { blazeFaceModelPath } from '../src/engine/face/blazeface.ts';
import { fixture } from '../testkit/fixtures.ts';
import { tinyClassifierOnnx } from './helpers/tiny-onnx.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function modelsDir(manifest: unknown, files: Record<string, Uint8Array> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-models-'));
  if (manifest !== undefined) fs.writeFileSync(path.join(dir, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

const entry = (over: Record<string, unknown>) => ({
  name: 'acne_binary',
  version: '9.0.0',
  task: 'acne_binary',
  file: 'acne.onnx',
  sha256: '0'.repeat(64),
  classes: ['no_acne', 'acne'],
  default: true,
  ...over,
});

async function analyzeWith(dir: string) {
  const engine = await createEngine({ modelsDir: dir });
  try {
    return { info: engine.info(), result: await engine.analyze(fixture('faces', 'obama.jpg')) };
  } finally {
    await engine.close();
  }
}

test('no manifest: both models unavailable with a reason, measures still work', async () => {
  const { info, result } = await analyzeWith(modelsDir(undefined));
  const acne = result.ml_analysis.acne_analysis;
  const cond = result.ml_analysis.condition_analysis;
  assert.equal(acne.available, false);
  assert.equal(cond.available, false);
  assert.match((acne as { reason: string }).reason, /manifest/);
  assert.doesNotMatch((acne as { reason: string }).reason, /\/tmp\//, 'no server path in the reason');
  assert.deepEqual(result.ml_analysis.ml_models_used, []);
  assert.equal(info.models.every((m) => !m.available), true);
  assert.ok(result.cv_analysis.skin_tone.available, 'the rest of the engine still works');
  assert.ok(result.face);
});

test('an invalid manifest is reported, not thrown', async () => {
  const { result } = await analyzeWith(modelsDir('{ not json'));
  assert.match((result.ml_analysis.acne_analysis as { reason: string }).reason, /invalid/);
});

test('a missing model file is reported', async () => {
  const { result } = await analyzeWith(modelsDir({ models: [entry({})] }));
  const acne = result.ml_analysis.acne_analysis;
  assert.equal(acne.available, false);
  assert.match((acne as { reason: string }).reason, /acne_binary@9\.0\.0 unavailable: file acne\.onnx is missing/);
});

test('a file whose sha256 does not match the manifest is refused', async () => {
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const { result } = await analyzeWith(modelsDir({ models: [entry({})] }, { 'acne.onnx': bytes }));
  assert.match((result.ml_analysis.acne_analysis as { reason: string }).reason, /sha256 mismatch/);
});

test('a corrupt ONNX file with a matching hash is refused', async () => {
  const bytes = new TextEncoder().encode('this is not an ONNX model');
  const { result } = await analyzeWith(modelsDir({ models: [entry({ sha256: sha256(bytes) })] }, { 'acne.onnx': bytes }));
  assert.match((result.ml_analysis.acne_analysis as { reason: string }).reason, /cannot load acne\.onnx/);
});

test('a real ONNX model of the wrong shape is refused', async () => {
  // The face detector is a valid ONNX file, but not a 224×224 NCHW two-class classifier.
  const bytes = fs.readFileSync(blazeFaceModelPath());
  const { result } = await analyzeWith(modelsDir({ models: [entry({ sha256: sha256(bytes) })] }, { 'acne.onnx': bytes }));
  const acne = result.ml_analysis.acne_analysis;
  assert.equal(acne.available, false);
  assert.match((acne as { reason: string }).reason, /unavailable/);
});

test('classes that do not match the task are refused', async () => {
  const bytes = new Uint8Array([9]);
  const { result } = await analyzeWith(
    modelsDir({ models: [entry({ sha256: sha256(bytes), classes: ['clear', 'spots'] })] }, { 'acne.onnx': bytes }),
  );
  assert.match((result.ml_analysis.acne_analysis as { reason: string }).reason, /classes/);
});

test('an entry naming an ONNX output the file does not have is refused with the outputs it has', async () => {
  const bytes = tinyClassifierOnnx({ classes: 2, seed: 1 });
  const { result } = await analyzeWith(modelsDir({ models: [entry({ sha256: sha256(bytes), output: 'acne_head' })] }, { 'acne.onnx': bytes }));
  const acne = result.ml_analysis.acne_analysis;
  assert.equal(acne.available, false);
  assert.match((acne as { reason: string }).reason, /no output acne_head \(outputs: logits\)/);
});

test('a calibration temperature flattens the probabilities the engine reports', async () => {
  const bytes = tinyClassifierOnnx({ classes: 2, seed: 1 });
  const files = { 'acne.onnx': bytes };
  const plain = await analyzeWith(modelsDir({ models: [entry({ sha256: sha256(bytes) })] }, files));
  const hot = await analyzeWith(modelsDir({ models: [entry({ sha256: sha256(bytes), calibration: { method: 'temperature', temperature: 4 } })] }, files));
  const p = plain.result.ml_analysis.acne_analysis;
  const q = hot.result.ml_analysis.acne_analysis;
  assert.ok(p.available && q.available);
  assert.ok(Math.abs(q.probabilities.acne - 0.5) < Math.abs(p.probabilities.acne - 0.5), `${p.probabilities.acne} vs ${q.probabilities.acne}`);
  // softmax(z / 4) from softmax(z): logit difference divided by 4
  const logit = (x: number) => Math.log(x / (1 - x));
  assert.ok(Math.abs(logit(q.probabilities.acne) - logit(p.probabilities.acne) / 4) < 0.01);
});

test('an engine loads only the version it serves per task; loadVersions "all" loads every listed one', async () => {
  const serving = await createEngine({});
  const all = await createEngine({ loadVersions: 'all' });
  try {
    const ids = (e: typeof serving) => e.registry.loadedModels().map((m) => `${m.entry.task}@${m.entry.version}`).sort();
    assert.deepEqual(ids(serving), serving.info().models.map((m) => `${m.task}@${m.version}`).sort());
    assert.equal(ids(all).length, all.registry.entries().length);
    assert.ok(ids(all).length > ids(serving).length);
    // An analysis pinned to a version this engine did not load says so; it is never made up.
    const pinned = await serving.analyze(fixture('faces', 'obama.jpg'), { modelVersions: { acne_binary: '2.1.0' } });
    assert.equal(pinned.ml_analysis.acne_analysis.available, false);
    assert.match((pinned.ml_analysis.acne_analysis as { reason: string }).reason, /2\.1\.0/);
    const state = serving.registry.entries().find((e) => e.version === '2.1.0');
    assert.equal(state?.state, 'unavailable');
    assert.match(state?.reason ?? '', /not loaded/);
    const ok = await all.analyze(fixture('faces', 'obama.jpg'), { modelVersions: { acne_binary: '2.1.0' } });
    assert.equal(ok.ml_analysis.acne_analysis.available, true);
  } finally {
    await Promise.all([serving.close(), all.close()]);
  }
});
