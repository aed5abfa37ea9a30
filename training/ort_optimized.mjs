// Write the graph onnxruntime-node actually runs for MODEL.onnx (the engine's optimisation level, 'all').
//   node training/ort_optimized.mjs MODEL.onnx OUT.onnx
// Used by training/export_regions.py to check that the float16-stored weights' Cast nodes are folded
// at session creation (training/backbone/fp16_store.py), i.e. the session computes in float32 as before.
import * as ort from 'onnxruntime-node';

const [model, out] = process.argv.slice(2);
const sess = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', optimizedModelFilePath: out, logSeverityLevel: 3,
});
await sess.release();
