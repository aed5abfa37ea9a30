/**
 * FaceMesh's channel paddings rewritten, at load, into 1×1 convolutions that ONNX Runtime runs in
 * its blocked (NCHWc) layout:
 *
 *     Pad(x, [0, 0, 0, 0, 0, k, 0, 0], 0)  =  Conv1×1[W](x),  W = [I_c; 0_k×c]   (x: [N, c, H, W])
 *
 * FaceMesh's residual blocks widen the channels (16 → 32 → 64 → 128) by padding the skip path
 * with k zero channels (the TF.js graph's `channel_padding_n`, a Pad on axis 1 after the
 * convolution, the same trick as BlazeFace's zero Concats: Bazarevsky et al. 2019, fig. 1).
 * ORT's CPU provider has no NCHWc Pad, so each of the 3 Pads ran in plain NCHW, and the residual
 * Add after it too; and since every later block adds its input back, the whole tail after the
 * first Pad kept its Adds and the PRelu rewrite's Relus and Adds in NCHW, each between a
 * ReorderOutput and a ReorderInput. ORT's profiler (one thread, 200 runs, batch 1, after the PRelu
 * rewrite): ReorderOutput 9.2 %, Add 8.3 %, ReorderInput 7.5 %, Pad 1.6 % of the kernel time, and
 * a part of Relu's 6.9 %. Rewritten: no Reorder inside the body (2 left, before the head
 * Transposes), no Add (each residual Add fused into a convolution as its Sum input).
 *
 * Exactness: output channel o < c is 1·x[o] + Σ 0·x[j] = x[o] and o ≥ c is Σ 0·x[j] = 0, exactly,
 * for finite x (0·∞ would be NaN where Pad gives 0; FaceMesh's activations on an 8-bit image are
 * finite). ORT then fuses the residual Add into this convolution (MLAS accumulates the products
 * onto the Sum input), i.e. the same one rounding of y + x[o] as the Add. With the whole tail now
 * blocked, ORT also fuses the later residual Adds, so their sums are grouped differently: on every
 * face fixture's crops the landmarks moved by at most 6.9e-7 of the eye distance and the presence
 * scores not at all (test/pad-conv-rewrite.test.ts). Tried as well: each Pad as a
 * Concat of x and a 1×1 convolution by zeros (what channel-pad-rewrite.ts does for BlazeFace):
 * the same profile, 0–8 % slower per run than the [I; 0] form in three A/B runs (the Add is not
 * fused into it). Measured (bench/README.md, "Landmarks: FaceMesh's channel Pads"): one batch-1
 * run 1.67 → 1.31 ms minimum, batch 2 3.53 → 2.67 ms (sessions alternated in one process).
 *
 * Only this exact form is rewritten: a Pad of the default domain, mode `constant`, pads an int64
 * initializer of 8 values all 0 but the end of axis 1, the constant value absent or a float 0
 * initializer, no `axes` input, and an input whose channel count is known from the graph
 * (channels traced forward from the graph's Conv weights through Relu, PRelu, MaxPool, Identity
 * and same-width Add). Anything else leaves that Pad as it is. The graph's outputs and their
 * shapes are unchanged (a rewritten Pad's output keeps its name and shape). The committed file is
 * not changed: this works on its bytes in memory (runtime/onnx-proto.ts); a malformed field
 * throws, and FaceMesh.load (facemesh.ts) then runs the graph without this rewrite, as it does
 * when ORT refuses the rewritten graph (say, a weight name it adds was already taken).
 */
import {
  concatBytes,
  fields,
  floatInitializer,
  floatValues,
  int64Values,
  intsAttribute,
  node,
  parseGraph,
  tensorDims,
  type Field,
} from '../runtime/onnx-proto.ts';

export interface PadConvResult {
  bytes: Uint8Array;
  /** Pads rewritten into convolutions; 0: the model as it was (the same bytes). */
  count: number;
}

export function rewritePadsAsConv(model: Uint8Array): PadConvResult {
  const { graph, initializers, strings: str, withGraph } = parseGraph(model);

  // Channels of each tensor, traced forward (ONNX nodes are in topological order).
  const channels = new Map<string, number>();
  const replaced = new Map<Field, Uint8Array>();
  const added: Uint8Array[] = [];
  for (const f of graph.filter((g) => g.field === 1 && g.wire === 2)) {
    const sub = fields(model, f.payloadStart, f.end);
    const [op = ''] = str(sub, 4);
    const [domain = ''] = str(sub, 7);
    const inputs = str(sub, 1);
    const outputs = str(sub, 2);
    if (domain !== '' || outputs.length !== 1) continue;
    const [out] = outputs;
    const c0 = channels.get(inputs[0] ?? '');
    if (op === 'Conv') {
      const weight = initializers.get(inputs[1] ?? '');
      const dims = weight && tensorDims(model, weight);
      if (dims?.length === 4) channels.set(out, dims[0]);
    } else if (['Relu', 'PRelu', 'MaxPool', 'Identity'].includes(op)) {
      if (c0 !== undefined) channels.set(out, c0);
    } else if (op === 'Add') {
      if (c0 !== undefined && channels.get(inputs[1] ?? '') === c0) channels.set(out, c0);
    } else if (op === 'Pad') {
      const k = channelPad(model, sub, inputs, initializers, str);
      if (k === null || c0 === undefined) continue;
      const c = c0;
      // W = [I_c; 0_k×c]: output o < c takes input o with weight 1, the k after it nothing.
      const w = new Float32Array((c + k) * c);
      for (let o = 0; o < c; o++) w[o * c + o] = 1;
      // Named after the output, which is unique in a graph (node names need not be).
      const weight = `${out}/as_conv/identity`;
      added.push(floatInitializer(weight, [c + k, c, 1, 1], w));
      replaced.set(f, node('Conv', [inputs[0], weight], [out], `${out}/as_conv`, [intsAttribute('kernel_shape', [1, 1])]));
      channels.set(out, c + k);
    }
  }
  if (replaced.size === 0) return { bytes: model, count: 0 };

  const parts = graph.map((f) => replaced.get(f) ?? model.subarray(f.start, f.end));
  const newGraph = concatBytes([...parts, ...added]);
  const bytes = withGraph(newGraph);
  return { bytes, count: replaced.size };
}

/** k when the Pad node is `Pad(x, [0,0,0,0, 0,k,0,0])` with constant 0 (see the header), else null. */
function channelPad(model: Uint8Array, sub: Field[], inputs: string[], initializers: Map<string, Field[]>, str: (sub: Field[], n: number) => string[]): number | null {
  if (inputs.length < 2 || inputs.length > 3) return null; // opset < 11 (pads as an attribute) or an `axes` input
  for (const a of sub.filter((t) => t.field === 5 && t.wire === 2)) {
    const af = fields(model, a.payloadStart, a.end);
    const [name] = str(af, 1);
    if (name !== 'mode' || str(af, 4)[0] !== 'constant') return null; // reflect, edge, wrap or an unknown attribute
  }
  const pads = initializers.get(inputs[1]);
  if (!pads) return null;
  const p = int64Values(model, pads);
  if (p.length !== 8 || p.some((v, i) => (i === 5 ? v <= 0 : v !== 0))) return null;
  if (inputs.length === 3 && inputs[2] !== '') {
    const value = initializers.get(inputs[2]);
    const v = value && floatValues(model, value);
    if (!v || v.length !== 1 || v[0] !== 0) return null;
  }
  return p[5];
}
