/**
 * The training side's own checks that must hold in CI: the seed-weight importer turns randomly
 * initialised state dicts of the seed's two architectures (saved with torch.save) into ONNX files
 * and registry entries that match PyTorch (training/tests/test_import_seed.py, Debian's Python); the 3.1.0
 * heads' vector scaling folds into the last layer exactly, isotonic regression and the healthy
 * dark-skin weight do what they say (training/tests/test_calibrate_vector.py); float16-stored weights
 * (training/tests/test_fp16_store.py); `load_data(ita=False)` leaves out the test images' engine ITA
 * (training/tests/test_load_data.py).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO } from '../testkit/fixtures.ts';

const run = promisify(execFile);

test('seed weights import: random state dicts become ONNX registry entries that match PyTorch', async () => {
  const { stderr } = await run('/usr/bin/python3', ['-m', 'unittest', '-v', 'training.tests.test_import_seed'], {
    cwd: REPO,
    maxBuffer: 16 * 1024 * 1024,
  });
  // unittest reports on stderr and exits non-zero on failure (which rejects above).
  assert.match(stderr, /\nOK\s*$/);
});

test('calibration and weighting of the 3.1.0 heads: folded vector scaling, isotonic, healthy dark-skin weight', async () => {
  const { stderr } = await run('/usr/bin/python3', ['-m', 'unittest', '-v', 'training.tests.test_calibrate_vector'], {
    cwd: REPO,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.match(stderr, /\nOK\s*$/);
});

test('float16-stored weights (skin_mnv2 3.1.2): BN folded and rounded in PyTorch, exact float16 + Cast in ONNX, unrounded values refused', async () => {
  const { stderr } = await run('/usr/bin/python3', ['-m', 'unittest', '-v', 'training.tests.test_fp16_store'], {
    cwd: REPO,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.match(stderr, /\nOK\s*$/);
});

test("load_data(ita=False) leaves the test images' engine ITA for later, as select_heads and calibrate_oos ask", async () => {
  const { stderr } = await run('/usr/bin/python3', ['-m', 'unittest', '-v', 'training.tests.test_load_data'], { cwd: REPO });
  assert.match(stderr, /\nOK\s*$/);
});
