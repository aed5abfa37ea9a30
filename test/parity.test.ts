/**
 * Training/serving parity: the same photo, through the PyTorch model with the training
 * preprocessing and through the engine's onnxruntime path, gives the same probabilities to
 * within 1e-4. Training reads the PNG crops that `skinsight crop` writes, which are made by the
 * engine's own crop and resize code; this test checks the rest of the path (RGB order, /255,
 * ImageNet normalisation, NCHW layout, the exported weights and the softmax).
 * Needs Debian's python3-torch (CI installs it from training/requirements-debian.txt).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { modelInputFromCrop } from '../src/cli/crop.ts';
import { MODEL_TASKS } from '../src/engine/models/manifest.ts';
import { fixture, REPO } from '../testkit/fixtures.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

for (const photo of ['obama.jpg', 'biden2.jpg']) {
  for (const task of MODEL_TASKS) {
    test(`${task} on ${photo}: PyTorch and onnxruntime agree to 1e-4`, async () => {
      const model = engine.registry.forTask(task);
      assert.ok('classifier' in model, `a default ${task} model is registered`);
      const prepared = await engine.prepare(fixture('faces', photo));
      const input = modelInputFromCrop(prepared.crop, model.entry.input.size);
      const [onnx] = await model.classifier.classify([input]);

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-parity-'));
      const png = path.join(dir, 'crop.png');
      await sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } }).png().toFile(png);
      const { stdout } = await run(PYTHON, [path.join(REPO, 'training', 'parity.py'), png, model.file, task], { cwd: REPO });
      const torch = JSON.parse(stdout.trim().split('\n').at(-1)!) as { probabilities: Record<string, number> };

      model.entry.classes.forEach((cls, i) => {
        const diff = Math.abs(torch.probabilities[cls] - onnx[i]);
        assert.ok(diff <= 1e-4, `${cls}: torch ${torch.probabilities[cls]} vs onnx ${onnx[i]} (|Δ| ${diff})`);
      });
    });
  }
}
