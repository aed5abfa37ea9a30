/**
 * The engine is a library with one public face: it reads no environment, knows nothing of HTTP,
 * imports nothing of the service or the CLI, and checks its options once, up front. The
 * service, the CLI and the web app reach it only through src/engine/index.ts, pool.ts and
 * api.ts (enforced by eslint.config.js).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { createEngine, ERROR_CODES, type SkinsightError } from '../src/engine/index.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { ENGINE_ERROR_STATUS } from '../src/service/engine-status.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const engineFiles = (fs.readdirSync(path.join(REPO, 'src/engine'), { recursive: true }) as string[])
  .filter((f) => /\.(ts|mjs)$/.test(f))
  .map((f) => path.join('src/engine', f));
const read = (f: string) => fs.readFileSync(path.join(REPO, f), 'utf8');

test('no file in src/engine reads or writes process.env', () => {
  assert.ok(engineFiles.length > 30);
  assert.deepEqual(engineFiles.filter((f) => /process\.env/.test(read(f))), []);
});

test('no file in src/engine carries an HTTP status; the service maps every engine code', () => {
  const http = /statusCode|\b[A-Z][A-Z_]{2,}: [1-5]\d\d\b/;
  assert.deepEqual(engineFiles.filter((f) => http.test(read(f))), []);
  assert.deepEqual(Object.keys(ENGINE_ERROR_STATUS).sort(), [...ERROR_CODES].sort());
  assert.equal(ENGINE_ERROR_STATUS.UNSUPPORTED_FORMAT, 415);
  assert.equal(ENGINE_ERROR_STATUS.INTERNAL, 500);
});

test('lint refuses an engine stage imported by the service, the CLI or the web app, and the service imported by the engine', async () => {
  const eslint = new ESLint({ cwd: REPO });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
  };
  assert.equal(await lint('src/service/x.ts', "import { resizeArea } from '../engine/face/geometry.ts';\nresizeArea;\n"), 1);
  assert.equal(await lint('src/cli/x.ts', "import { Classifier } from '../engine/models/classifier.ts';\nClassifier;\n"), 1);
  assert.equal(await lint('web/src/x.ts', "import type { AnalysisResult } from '../../src/engine/result/schema.ts';\nexport type A = AnalysisResult;\n"), 1);
  assert.equal(await lint('src/engine/x.ts', "import { buildApp } from '../service/app.ts';\nbuildApp;\n"), 1);
  assert.equal(await lint('src/engine/face/x.ts', "import { loadConfig } from '../../service/config.ts';\nloadConfig;\n"), 1);
  // The public API is allowed.
  assert.equal(await lint('src/service/x.ts', "import { toErrorInfo } from '../engine/api.ts';\nimport { createEnginePool } from '../engine/pool.ts';\ntoErrorInfo; createEnginePool;\n"), 0);
  assert.equal(await lint('web/src/x.ts', "import type { AnalysisResult } from '../../src/engine/api.ts';\nexport type A = AnalysisResult;\n"), 0);
});

test('a bad engine option is one INVALID_OPTIONS error naming every bad field, before any model loads', async () => {
  for (const create of [createEngine, createEnginePool]) {
    const started = performance.now();
    await assert.rejects(
      create({ detectionThreshold: 1.5, batchWindowMs: -1, intraOpThreads: 0.5, modelVersions: { acne: '1.0.0' } as never }),
      (error: SkinsightError) => {
        assert.equal(error.code, 'INVALID_OPTIONS');
        for (const field of ['detectionThreshold', 'batchWindowMs', 'intraOpThreads', 'modelVersions']) assert.match(error.message, new RegExp(field));
        return true;
      },
    );
    await assert.rejects(create({ modelDir: '/tmp' } as never), (error: SkinsightError) => error.code === 'INVALID_OPTIONS' && /modelDir/.test(error.message));
    await assert.rejects(create({ logger: { info() {} } as never }), (error: SkinsightError) => error.code === 'INVALID_OPTIONS' && /logger/.test(error.message));
    assert.ok(performance.now() - started < 1000, 'refused before loading anything');
  }
});

test('the timings name the exported stages in pipeline order; a close-up skips detect and landmarks', async () => {
  const { STAGES } = await import('../src/engine/stages.ts');
  const { fixture } = await import('../testkit/fixtures.ts');
  const engine = await createEngine();
  try {
    const face = await engine.analyze(fixture('faces', 'obama.jpg'));
    assert.deepEqual(Object.keys(face.timings_ms), [...STAGES, 'total']);
    const closeup = await engine.analyze(fixture('faces', 'obama.jpg'), { closeup: true });
    assert.deepEqual(Object.keys(closeup.timings_ms), [...STAGES.filter((s) => s !== 'detect' && s !== 'landmarks'), 'total']);
    assert.equal(closeup.face, null);
    assert.equal('shadow' in face, false, 'no shadow field unless shadow versions were asked for');
  } finally {
    await engine.close();
  }
});
