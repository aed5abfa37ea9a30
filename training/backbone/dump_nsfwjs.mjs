// Writes nsfwjs@4.3.0's bundled MobileNetV2 as a standard tfjs layers model folder
// (model.json + the binary weight shard), so the Python converter reads plain files.
// nsfwjs ships the model as two UMD modules: the topology + weights manifest as an object, and
// the quantised weight shard as a base64 string. nsfwjs is a devDependency: only training reads it.
//   node training/backbone/dump_nsfwjs.mjs OUT_DIR
// Why 4.3.0 and not 4.4.0: both ship byte-identical dist/models/mobilenet_v2/{model,group1-shard1of1}.min.js
// (sha256 c32f104f... and ef2e0a63..., checked on the `npm pack` tarballs), but 4.4.0 declares
// engines.node = "22.13.0", which makes `npm ci` warn (EBADENGINE) on Node 20; 4.3.0 declares no engines.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const NSFWJS_VERSION = '4.3.0';

/** {modelTopology, weightsManifest, weightData} straight from the installed nsfwjs package. */
export function loadNsfwjsModules() {
  const require = createRequire(import.meta.url);
  // the package's `exports` hide package.json: its root is two levels above the CJS entry
  const root = path.resolve(path.dirname(require.resolve('nsfwjs')), '..', '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (pkg.name !== 'nsfwjs' || pkg.version !== NSFWJS_VERSION) throw new Error(`nsfwjs ${pkg.version} installed, the converter expects ${NSFWJS_VERSION}`);
  const dir = path.join(root, 'dist', 'models', 'mobilenet_v2');
  const model = require(path.join(dir, 'model.min.js'));
  const shard = require(path.join(dir, 'group1-shard1of1.min.js'));
  if (typeof shard !== 'string') throw new Error('unexpected nsfwjs weight module: not a base64 string');
  const weightData = Buffer.from(shard, 'base64');
  return { modelTopology: model.modelTopology, weightsManifest: model.weightsManifest, weightData };
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node training/backbone/dump_nsfwjs.mjs OUT_DIR');
    process.exit(2);
  }
  const { modelTopology, weightsManifest, weightData } = loadNsfwjsModules();
  if (weightsManifest.length !== 1 || weightsManifest[0].paths.length !== 1) throw new Error('expected one weight group with one shard');
  fs.mkdirSync(out, { recursive: true });
  const shardName = 'group1-shard1of1.bin';
  fs.writeFileSync(path.join(out, shardName), weightData);
  const manifest = [{ ...weightsManifest[0], paths: [shardName] }];
  fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify({ format: 'layers-model', source: `nsfwjs@${NSFWJS_VERSION} dist/models/mobilenet_v2`, modelTopology, weightsManifest: manifest }));
  console.log(JSON.stringify({ out, weights: manifest[0].weights.length, bytes: weightData.length }));
}
