// Reference outputs of nsfwjs's MobileNetV2 from TensorFlow.js itself (tfjs-layers on the pure-JS
// CPU backend, float32), for the converter's parity test. The model is loaded from nsfwjs's own
// modules, and tfjs dequantises the weights, so nothing of the Python converter is shared.
//   node training/backbone/tfjs_run.mjs INPUT.f32 N  -> JSON {features: [[1280]…], probabilities: [[5]…]}
// INPUT.f32: N×224×224×3 float32 little-endian, NHWC RGB in [0, 1].
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadNsfwjsModules } from './dump_nsfwjs.mjs';

export const FEATURE_LAYER = 'flatten_1';

export async function loadTfjsModel() {
  await tf.setBackend('cpu');
  const { modelTopology, weightsManifest, weightData } = loadNsfwjsModules();
  const handler = {
    load: async () => ({
      modelTopology,
      weightSpecs: weightsManifest.flatMap((g) => g.weights),
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  };
  const model = await tfl.loadLayersModel(handler);
  return tfl.model({ inputs: model.inputs, outputs: [model.getLayer(FEATURE_LAYER).output, model.outputs[0]] });
}

const [file, n] = process.argv.slice(2);
if (file) {
  const count = Number(n);
  const buf = fs.readFileSync(file);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (data.length !== count * 224 * 224 * 3) throw new Error(`expected ${count}×224×224×3 floats, got ${data.length}`);
  const model = await loadTfjsModel();
  const [features, probs] = model.predict(tf.tensor4d(data, [count, 224, 224, 3]));
  const rows = (t) => { const a = t.arraySync(); return a; };
  process.stdout.write(JSON.stringify({ features: rows(features), probabilities: rows(probs) }) + '\n');
}
