/**
 * The model spec is written once (src/engine/models/spec.ts) and read by both languages:
 * models/spec.json is that object, training/ loads the JSON, and no other file spells the
 * normalisation or a class list.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MODEL_SPEC } from '../src/engine/models/spec.ts';
import { Manifest, ModelInputSpec, TASK_CLASSES } from '../src/engine/models/manifest.ts';
import { CONDITIONS } from '../src/engine/result/schema.ts';
import { specJson, SPEC_JSON_PATH } from '../scripts/model-spec.ts';

const REPO = path.resolve(import.meta.dirname, '..');

test('models/spec.json is the TypeScript spec, byte for byte (npm run model-spec rewrites it)', () => {
  assert.equal(fs.readFileSync(SPEC_JSON_PATH, 'utf8'), specJson());
});

test('the manifest defaults, the task classes and the result schema come from the spec', () => {
  const defaults = ModelInputSpec.parse({});
  assert.deepEqual(defaults, { ...MODEL_SPEC.input, mean: [...MODEL_SPEC.input.mean], std: [...MODEL_SPEC.input.std] });
  assert.deepEqual(TASK_CLASSES.skin_condition, MODEL_SPEC.tasks.skin_condition.classes);
  assert.deepEqual(TASK_CLASSES.acne_binary, MODEL_SPEC.tasks.acne_binary.classes);
  assert.deepEqual([...CONDITIONS], [...MODEL_SPEC.tasks.skin_condition.classes]);
});

test('the manifest names only the resize the engine does (area averaging), never bilinear', () => {
  assert.equal(ModelInputSpec.safeParse({ resize: 'bilinear' }).success, false);
  const manifest = Manifest.parse(JSON.parse(fs.readFileSync(path.join(REPO, 'models/manifest.json'), 'utf8')));
  for (const m of manifest.models) assert.equal(m.input.resize, 'area', `${m.name}@${m.version}`);
});

test('training reads the same spec through training/spec.py', () => {
  const out = execFileSync('/usr/bin/python3', ['-c', 'import json; from training import spec as S; print(json.dumps({"mean": S.MEAN, "std": S.STD, "size": S.INPUT_SIZE, "acne": S.ACNE_CLASSES, "cond": S.CONDITION_CLASSES}))'], { cwd: REPO, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), {
    mean: [...MODEL_SPEC.input.mean],
    std: [...MODEL_SPEC.input.std],
    size: MODEL_SPEC.input.size,
    acne: [...MODEL_SPEC.tasks.acne_binary.classes],
    cond: [...MODEL_SPEC.tasks.skin_condition.classes],
  });
});

/** Source files of serving, training, benches and scripts (tests may spell expected values). */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'dist', '.cache', 'runs', 'checkpoints', 'tests', '__pycache__'].includes(e.name)) walk(p);
      } else if (/\.(ts|tsx|mjs|js|py)$/.test(e.name)) out.push(path.relative(REPO, p));
    }
  };
  for (const dir of ['src', 'training', 'bench', 'scripts', 'web/src']) walk(path.join(REPO, dir));
  return out;
}

test('no file but the spec spells the mean/std or a class list', () => {
  const literals = [/0\.485\s*,\s*0\.456\s*,\s*0\.406/, /0\.229\s*,\s*0\.224\s*,\s*0\.225/, /['"]normal['"]\s*,\s*['"]acne['"]\s*,\s*['"]rosacea['"]/, /['"]no_acne['"]\s*,\s*['"]acne['"]/];
  const offenders = sources()
    .filter((file) => file !== 'src/engine/models/spec.ts')
    .filter((file) => literals.some((re) => re.test(fs.readFileSync(path.join(REPO, file), 'utf8'))));
  assert.deepEqual(offenders, []);
});
