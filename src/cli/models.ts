/**
 * `skinsight models …`: the model registry from the command line.
 *   list                        every registry entry and whether it loads
 *   import-seed A.pt B.pt …     convert the seed design's PyTorch state dicts into ONNX registry
 *                               entries (runs training/import_seed.py with Debian's Python + PyTorch)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODELS_DIR } from '../engine/index.ts';
import { checkModelsDir } from './models-dir.ts';
import { printable } from './printable.ts';

const PYTHON = process.env.SKINSIGHT_PYTHON ?? '/usr/bin/python3';
const IMPORT_SCRIPT = path.resolve(DEFAULT_MODELS_DIR, '..', 'training', 'import_seed.py');

export async function runModels(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { createEngine } = await import('../engine/index.ts');
    const modelsDir = valueOf(rest, '--models');
    try {
      checkModelsDir(modelsDir);
    } catch (error) {
      process.stderr.write(`skinsight: ${printable((error as Error).message)}\n`);
      return 2;
    }
    const engine = await createEngine({ modelsDir, loadVersions: 'all' });
    const loaded = engine.registry.loadedModels().map((m) => `${m.entry.name}@${m.entry.version}`);
    process.stdout.write(JSON.stringify({ serving: engine.info().models, loaded }, null, 2) + '\n');
    await engine.close();
    return 0;
  }
  if (sub === 'import-seed') {
    if (rest.filter((a) => !a.startsWith('--')).length === 0) {
      process.stderr.write('skinsight: models import-seed needs the seed .pt files (acne_binary_v1.pt other_condition_v1.pt).\n');
      return 2;
    }
    for (const f of rest.filter((a) => a.endsWith('.pt'))) {
      if (!fs.existsSync(f)) {
        process.stderr.write(`skinsight: ${printable(f)}: no such file.\n`);
        return 1;
      }
    }
    if (!fs.existsSync(PYTHON)) {
      process.stderr.write(`skinsight: ${PYTHON} not found: install Debian's python3-torch and python3-onnx (see training/requirements-debian.txt).\n`);
      return 2;
    }
    const out = valueOf(rest, '--out') ? [] : ['--out', DEFAULT_MODELS_DIR];
    return new Promise((resolve) => {
      const child = spawn(PYTHON, [IMPORT_SCRIPT, ...rest, ...out], { stdio: 'inherit' });
      child.on('exit', (code) => resolve(code ?? 1));
      child.on('error', (error) => {
        process.stderr.write(`skinsight: cannot run ${PYTHON}: ${error.message}\n`);
        resolve(2);
      });
    });
  }
  process.stderr.write('Usage: skinsight models list [--models DIR] | skinsight models import-seed A.pt B.pt [--out DIR] [--version 1.0.0]\n');
  return 2;
}

function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
