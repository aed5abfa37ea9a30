/**
 * FaceMesh's PRelu activations rewritten, at load, into operators ONNX Runtime runs in its
 * blocked (NCHWc) layout:
 *
 *     PRelu(x, s) = Relu(x) + DepthwiseConv1×1[w = −s](Relu(DepthwiseConv1×1[w = −1](x)))
 *
 * Per element this is the same float as PRelu (ONNX operator spec: y = x for x ≥ 0, s·x else):
 * for x ≥ 0 the second term is (−s)·0 = 0, for x < 0 the first is 0 and the second is (−s)·(−x),
 * one rounding of s·x, so only the order of the surrounding kernels can differ.
 *
 * Why: ONNX Runtime's CPU provider has no NCHWc PRelu, so each of the model's 23 PRelu nodes ran
 * in plain NCHW between a ReorderOutput and a ReorderInput. ORT's own profiler put PRelu and the
 * reorders at about 70 % of a FaceMesh run; rewritten, a batch-1 run took 2.1 instead of 4.9 ms
 * of CPU and a batch-2 run 4.0 instead of 9.5 ms (bench/README.md), with the landmarks within
 * 4e-5 crop pixels of the plain model (test/facemesh-parity.test.ts holds the engine's session to
 * TF.js within 0.5 % of the eye distance, and test/landmark-input.test.ts to the plain graph).
 *
 * On by default (facemesh.ts `FaceMesh.load`); its 0.015 px moves flipped four entries of
 * test/data/speed-snapshot.json past their tolerances, so that snapshot was re-taken with it on.
 *
 * The committed file (models/facemesh-468.onnx, what training/facemesh/convert.py writes, checked
 * by its sha256) is not changed: this works on its bytes in memory. Only the protobuf fields it
 * needs are read (runtime/onnx-proto.ts); every other field is copied byte for byte.
 */

import {
  concatBytes as concat,
  fields,
  floatInitializer,
  floatValues,
  intAttribute,
  intsAttribute,
  node,
  parseGraph,
  readVarint,
  text,
} from '../runtime/onnx-proto.ts';

/** A float32 initializer [c, 1, 1, 1] (a depthwise 1×1 kernel). */
const kernel = (name: string, values: Float32Array) => floatInitializer(name, [values.length, 1, 1, 1], values);

/** The model with every PRelu node replaced as above; `count` is how many were. */
export function rewritePRelu(model: Uint8Array): { bytes: Uint8Array; count: number } {
  const { graph, initializers, withGraph } = parseGraph(model);
  const parts: Uint8Array[] = [];
  const added: Uint8Array[] = [];
  let count = 0;
  for (const f of graph) {
    const sub = f.field === 1 && f.wire === 2 ? fields(model, f.payloadStart, f.end) : null;
    const op = sub?.find((t) => t.field === 4);
    if (!sub || !op || text(model, op) !== 'PRelu' || sub.some((t) => t.field === 5 || t.field === 7)) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    const [x, s] = sub.filter((t) => t.field === 1).map((t) => text(model, t));
    const [y] = sub.filter((t) => t.field === 2).map((t) => text(model, t));
    const slope = initializers.get(s);
    // Only a per-channel slope [C, 1, 1] (on an NCHW input, which the 1×1 convolutions need).
    const dims = slope?.filter((t) => t.field === 1).map((t) => readVarint(model, t.payloadStart)[0]);
    if (!slope || !x || !y || dims?.length !== 3 || dims[1] !== 1 || dims[2] !== 1 || slope.some((t) => t.field === 1 && t.wire !== 0)) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    const sv = floatValues(model, slope);
    if (sv.length !== dims[0]) throw new Error(`PRelu slope ${s}: ${sv.length} values for ${dims[0]} channels`);
    const c = sv.length;
    const p = `prelu_rewrite_${count++}`;
    const depthwise = [intAttribute('group', c), intsAttribute('kernel_shape', [1, 1])];
    added.push(kernel(`${p}/minus_one`, new Float32Array(c).fill(-1)), kernel(`${p}/minus_slope`, sv.map((v) => -v)));
    parts.push(
      node('Relu', [x], [`${p}/pos`], `${p}/relu_pos`),
      node('Conv', [x, `${p}/minus_one`], [`${p}/neg`], `${p}/negate`, depthwise),
      node('Relu', [`${p}/neg`], [`${p}/neg_pos`], `${p}/relu_neg`),
      node('Conv', [`${p}/neg_pos`, `${p}/minus_slope`], [`${p}/scaled`], `${p}/scale`, depthwise),
      node('Add', [`${p}/pos`, `${p}/scaled`], [y], `${p}/sum`),
    );
  }
  if (count === 0) return { bytes: model, count };
  const newGraph = concat([...parts, ...added]);
  return { bytes: withGraph(newGraph), count };
}
