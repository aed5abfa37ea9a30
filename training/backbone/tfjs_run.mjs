// Reference outputs of nsfwjs's MobileNetV2 from TensorFlow.js itself (tfjs-layers on the pure-JS
// CPU backend, float32), for the converter's parity test. The model is loaded from nsfwjs's own
// modules, and tfjs dequantises the weights, so nothing of the Python converter is shared.
//   node training/backbone/tfjs_run.mjs INPUT.f32 N [SIDE] -> JSON {features: [[1280]…], probabilities: [[5]…], block13: [[576]…]}
// (probabilities only at 224: the network's head has a fixed 7x7 pool; see loadTfjsModel)
// INPUT.f32: N×SIDE×SIDE×3 float32 little-endian (SIDE 224 by default), NHWC RGB in [0, 1].
// block13: the global average of block_13_expand_relu (the mid-level layer of training/backbone/multi.py).
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadNsfwjsModules } from './dump_nsfwjs.mjs';

export const FEATURE_LAYER = 'flatten_1';
export const MID_LAYER = 'block_13_expand_relu';
export const MAP_LAYER = 'out_relu';

/**
 * The topology at side x side, cut after out_relu: the network is convolutional up to there, and
 * its head (a valid 7x7 average pool, then dense layers) does not fit another side's map.
 */
function withSide(topology, side) {
  const t = JSON.parse(JSON.stringify(topology));
  const config = (t.model_config ?? t).config;
  const cut = config.layers.findIndex((l) => l.name === MAP_LAYER);
  config.layers = config.layers.slice(0, cut + 1);
  for (const l of config.layers) if (l.class_name === 'InputLayer') l.config.batch_input_shape = [null, side, side, 3];
  config.output_layers = [[MAP_LAYER, 0, 0]];
  return t;
}

export async function loadTfjsModel(side = 224) {
  await tf.setBackend('cpu');
  const nsfw = loadNsfwjsModules();
  const { weightsManifest, weightData } = nsfw;
  const modelTopology = side === 224 ? nsfw.modelTopology : withSide(nsfw.modelTopology, side);
  const handler = {
    load: async () => ({
      modelTopology,
      weightSpecs: weightsManifest.flatMap((g) => g.weights),
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  };
  // the cut topology leaves the head's weights unused: not strict about them
  const model = await tfl.loadLayersModel(handler, { strict: side === 224 });
  // At 224 the pooled features are the network's own flatten_1 (a 7x7 average pool of the 7x7 map)
  // and its 5 outputs; at another side that fixed pool no longer covers the map (6x6 at 192), so
  // the features are the global average of out_relu (the same values at 224) and there are no outputs.
  const outputs = side === 224
    ? [model.getLayer(FEATURE_LAYER).output, model.getLayer(MID_LAYER).output, model.outputs[0]]
    : [model.getLayer(MAP_LAYER).output, model.getLayer(MID_LAYER).output];
  return tfl.model({ inputs: model.inputs, outputs });
}

const [file, n, sideArg = '224'] = process.argv.slice(2);
if (file) {
  const count = Number(n);
  const side = Number(sideArg);
  const buf = fs.readFileSync(file);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (data.length !== count * side * side * 3) throw new Error(`expected ${count}×${side}×${side}×3 floats, got ${data.length}`);
  const model = await loadTfjsModel(side);
  const [first, mid, probs] = model.predict(tf.tensor4d(data, [count, side, side, 3]));
  const rows = (t) => t.arraySync();
  const features = rows(side === 224 ? first : tf.mean(first, [1, 2]));
  const block13 = rows(tf.mean(mid, [1, 2]));
  const probabilities = probs ? rows(probs) : [];
  process.stdout.write(JSON.stringify({ features, probabilities, block13 }) + '\n');
}
