/**
 * A BlazeFace graph rewritten, at load, so that ONNX Runtime runs all of it in its blocked (NCHWc)
 * layout. Used on both (blazeface.ts); the short-range one, which every face fixture runs, gains most.
 *
 * BlazeFace's residual blocks (Bazarevsky et al. 2019, fig. 1) widen the channels by padding the
 * skip connection with zeros: `Add(Conv(…), Concat(x, ConstantOfShape(…)))`, 11 times in
 * face_detection_front_128x128 (24 → 28 → 32 → … → 96 channels). ORT's CPU provider keeps such a
 * Concat in plain NCHW (its NCHWc Concat needs whole blocks), so each block ran Reorder → Concat →
 * Add → Relu → Reorder outside the fused convolutions, and the MaxPools on 28, 42 and 88 channels
 * (not whole blocks either) fell back too. ORT's profiler put those at ~40 % of a run.
 *
 * The rewrite carries every tensor of the body with its channels padded by zeros up to a multiple
 * of `block` (16, ORT's NCHWc block size with AVX-512: MlasNchwcGetBlockSize), which is what the
 * blocked layout stores anyway:
 *   - a convolution's weights and bias get zero rows (output channels) and zero columns (input
 *     channels), a depthwise convolution zero kernels and `group` = the padded width; the padded
 *     channels then come out exactly 0 (0·x summed, + a zero bias, Relu(0) = 0, a max of zeros);
 *   - `Concat(x, zeros)` is then x itself when the widened count has the same padded width (7 of
 *     the 11), or else a Concat of whole blocks, x and a block of zeros from a 1×1 convolution by
 *     zero weights (the other 4), which ORT's NCHWc Concat takes;
 *   - the head convolutions (feeding the output Transposes) keep their real output channels.
 * The real channels are the same sums of the same products; only how ORT groups the adds can
 * differ (the residual Add is now fused into the convolution), so the outputs move by float
 * rounding alone: test/blazeface-rewrite.test.ts holds every anchor's score within 1e-5 of the
 * plain graph's (those scoring ≥ 0.01: box within 2e-3 input px) and every fixture's detections
 * within 0.01 px. Measured (bench/README.md, "Detect:
 * BlazeFace's channel padding"): one short-range run 1.02–1.07 → 0.63–0.65 ms minimum, full range
 * 5.3–5.6 → 4.2–4.5 ms (sessions alternated in one process, load 2–6).
 *
 * On a CPU whose NCHWc block is 8 (AVX2) the padding to 16 is just as exact; its speed there was not
 * measured. The rewrite itself takes ~20–35 ms per graph at load, cold (a few ms warm).
 *
 * Works on the model's bytes in memory (the npm package's file is not changed). Anything it does
 * not recognise (another op reading a padded tensor, a grouped convolution on one, a shared
 * weight, a graph output that would carry padded channels) leaves the model as it is, with
 * `concats: 0`. A weight that is not float32 throws (onnx-proto.ts floatValues); blazeface.ts then
 * runs the file as shipped.
 */
import {
  concatBytes,
  fields,
  floatInitializer,
  floatValues,
  int64Values,
  intAttribute,
  intsAttribute,
  lenField,
  node,
  parseGraph,
  readVarint,
  strField,
  tensorDims,
  text,
  type Field,
} from '../runtime/onnx-proto.ts';

interface Node {
  field: Field;
  sub: Field[];
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  domain: string;
  attributes: Map<string, Field[]>;
}

/** A body tensor: `c` real channels, stored as `w` (≥ c; the channels from c on are 0). */
interface Width {
  c: number;
  w: number;
}

export interface ChannelPadResult {
  bytes: Uint8Array;
  /** Zero-padding Concats rewritten (aliased, or a Concat of whole blocks); 0: model unchanged. */
  concats: number;
  /** Convolutions whose weights were widened. */
  widened: number;
}

const unchanged = (model: Uint8Array): ChannelPadResult => ({ bytes: model, concats: 0, widened: 0 });

export function rewriteChannelPadding(model: Uint8Array, block = 16): ChannelPadResult {
  const { graph, initializers, strings: str, withGraph } = parseGraph(model);
  const graphOutputs = new Set(graph.filter((g) => g.field === 12 && g.wire === 2).flatMap((g) => str(fields(model, g.payloadStart, g.end), 1)));
  const nodes: Node[] = graph
    .filter((g) => g.field === 1 && g.wire === 2)
    .map((field) => {
      const sub = fields(model, field.payloadStart, field.end);
      const attributes = new Map<string, Field[]>();
      for (const a of sub.filter((t) => t.field === 5 && t.wire === 2)) {
        const af = fields(model, a.payloadStart, a.end);
        attributes.set(str(af, 1)[0] ?? '', af);
      }
      return { field, sub, op: str(sub, 4)[0] ?? '', inputs: str(sub, 1), outputs: str(sub, 2), name: str(sub, 3)[0] ?? '', domain: str(sub, 7)[0] ?? '', attributes };
    });
  const producer = new Map<string, Node>();
  const uses = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  const intAttr = (n: Node, name: string, fallback: number) => {
    const i = n.attributes.get(name)?.find((t) => t.field === 3 && t.wire === 0);
    return i ? readVarint(model, i.payloadStart)[0] : fallback;
  };
  const padded = (c: number) => Math.ceil(c / block) * block;
  /** The channel count k of `ConstantOfShape(shape)` when it is a float zero [1, k, h, w] from an initializer, else null. */
  const zerosChannels = (name: string): number | null => {
    const z = producer.get(name);
    if (!z || z.op !== 'ConstantOfShape' || z.domain !== '' || uses.get(name) !== 1) return null;
    const value = z.attributes.get('value');
    if (value) {
      const t = value.find((f) => f.field === 5 && f.wire === 2);
      const tensor = t && fields(model, t.payloadStart, t.end);
      if (!tensor || floatValues(model, tensor).some((v) => v !== 0)) return null;
    }
    const shape = initializers.get(z.inputs[0]);
    const dims = shape && int64Values(model, shape);
    return dims?.length === 4 && dims[0] === 1 ? dims[1] : null;
  };

  const width = new Map<string, Width>();
  const alias = new Map<string, string>();
  const dropped = new Set<Node>();
  const rebuilt = new Map<Node, Uint8Array>();
  const newInitializers = new Map<string, Uint8Array>(); // replaces the initializer of that name
  const added: Uint8Array[] = [];
  let concats = 0;
  let widened = 0;
  const of = (t: string) => alias.get(t) ?? t;
  // An aliased Concat output keeps its own width (more real channels, the same storage).
  const widthOf = (t: string) => width.get(t) ?? width.get(of(t));

  for (const n of nodes) {
    const ins = n.inputs.map(widthOf);
    const out = n.outputs[0];
    // A padded tensor may only reach the ops handled here.
    const body = n.domain === '' && ['Conv', 'Relu', 'Add', 'MaxPool', 'Concat'].includes(n.op);
    if (!body && ins.some((x) => x && x.w > x.c)) return unchanged(model);
    if (n.op === 'Conv' && body) {
      const [x, wName, bName] = n.inputs;
      const weight = initializers.get(wName);
      const bias = bName === undefined ? undefined : initializers.get(bName);
      if (!weight || uses.get(wName) !== 1 || (bName !== undefined && (!bias || uses.get(bName) !== 1)) || n.outputs.length !== 1) return unchanged(model);
      const dims = tensorDims(model, weight);
      if (dims.length !== 4) return unchanged(model);
      const [co, cig, kh, kw] = dims;
      const group = intAttr(n, 'group', 1);
      const input = widthOf(x) ?? { c: cig * group, w: cig * group };
      const head = graphOutputs.has(out) || nodes.some((m) => m.inputs.includes(out) && !(m.domain === '' && ['Conv', 'Relu', 'Add', 'MaxPool'].includes(m.op)));
      let wo: number;
      let kernel: Float32Array;
      const values = floatValues(model, weight);
      if (group > 1 && group === co && cig === 1 && input.c === co) {
        wo = input.w; // depthwise: one kernel per channel, the padded ones zero
        kernel = new Float32Array(wo * kh * kw);
        kernel.set(values);
      } else if (group === 1 && input.c === cig) {
        wo = head ? co : padded(co);
        kernel = new Float32Array(wo * input.w * kh * kw);
        const k = kh * kw;
        for (let o = 0; o < co; o++) kernel.set(values.subarray(o * cig * k, (o + 1) * cig * k), o * input.w * k);
      } else if (input.w === input.c) {
        width.set(out, { c: co, w: co });
        continue;
      } else return unchanged(model);
      width.set(out, { c: co, w: wo });
      const aliased = n.inputs.some((i) => alias.has(i));
      if (wo === co && kernel.length === values.length) {
        if (aliased) rebuilt.set(n, rebuildNode(model, n, of, null));
        continue;
      }
      widened++;
      const depthwise = group > 1;
      newInitializers.set(wName, floatInitializer(wName, [wo, depthwise ? 1 : input.w, kh, kw], kernel));
      if (bias && bName !== undefined) {
        const b = new Float32Array(wo);
        b.set(floatValues(model, bias));
        newInitializers.set(bName, floatInitializer(bName, [wo], b));
      }
      rebuilt.set(n, rebuildNode(model, n, of, depthwise ? wo : null));
    } else if (n.op === 'Concat' && body) {
      const k = n.inputs.length === 2 && intAttr(n, 'axis', 0) === 1 ? zerosChannels(n.inputs[1]) : null;
      const x = ins[0] ?? null;
      if (k === null || x === null || graphOutputs.has(out)) {
        if (ins.some((w) => w && w.w > w.c)) return unchanged(model);
        continue;
      }
      const c = x.c + k;
      const wo = padded(c);
      concats++;
      dropped.add(producer.get(n.inputs[1])!);
      if (wo === x.w) {
        alias.set(out, of(n.inputs[0])); // [x; 0] is x as stored
        dropped.add(n);
      } else {
        // [x; 0] as a Concat of whole blocks, which ORT runs blocked: x as stored, then the zero
        // channels from a 1×1 convolution by zero weights (0·x = 0). A [I; 0] convolution gives
        // the same values but was 4 % slower per run.
        const name = `${n.name || out}/channel_pad`;
        added.push(floatInitializer(`${name}/zero`, [wo - x.w, x.w, 1, 1], new Float32Array((wo - x.w) * x.w)));
        rebuilt.set(
          n,
          concatBytes([
            node('Conv', [of(n.inputs[0]), `${name}/zero`], [`${name}/zeros`], `${name}/zeros`, [intsAttribute('kernel_shape', [1, 1])]),
            node('Concat', [of(n.inputs[0]), `${name}/zeros`], [out], name, [intAttribute('axis', 1)]),
          ]),
        );
      }
      width.set(out, { c, w: wo });
    } else if ((n.op === 'Relu' || n.op === 'MaxPool') && body) {
      // Per channel: Relu(0) = 0 and a max over zeros is 0 (a MaxPool's padding never wins over 0).
      if (ins[0]) width.set(out, ins[0]);
      if (n.inputs.some((i) => alias.has(i))) rebuilt.set(n, rebuildNode(model, n, of, null));
    } else if (n.op === 'Add' && body) {
      const [a, b] = ins;
      if (a && b && a.c === b.c && a.w === b.w) width.set(out, a);
      else if ((a && a.w > a.c) || (b && b.w > b.c)) return unchanged(model); // a padded tensor added to one of another layout
      if (n.inputs.some((i) => alias.has(i))) rebuilt.set(n, rebuildNode(model, n, of, null));
    } else if (n.inputs.some((i) => alias.has(i))) {
      rebuilt.set(n, rebuildNode(model, n, of, null));
    }
  }
  if (concats === 0) return unchanged(model);
  // A graph output must keep its declared channels: one that would carry padded ones (after a
  // Relu, MaxPool, Add or depthwise Conv of a padded tensor) leaves the model unchanged.
  for (const o of graphOutputs) {
    const w = widthOf(o);
    if (w && w.w > w.c) return unchanged(model);
  }

  const parts: Uint8Array[] = [];
  const dropNodes = new Set([...dropped].map((n) => n.field));
  const rebuiltByField = new Map([...rebuilt].map(([n, bytes]) => [n.field, bytes]));
  for (const f of graph) {
    if (f.field === 13) continue; // value_info: stale shapes for the widened tensors; ORT infers them again
    if (f.field === 1 && dropNodes.has(f)) continue;
    const again = rebuiltByField.get(f);
    if (again) {
      parts.push(again);
      continue;
    }
    if (f.field === 5 && f.wire === 2) {
      const [name] = str(fields(model, f.payloadStart, f.end), 8);
      const replaced = name === undefined ? undefined : newInitializers.get(name);
      if (replaced) {
        parts.push(replaced);
        continue;
      }
    }
    parts.push(model.subarray(f.start, f.end));
  }
  parts.push(...added);
  const newGraph = concatBytes(parts);
  const bytes = withGraph(newGraph);
  return { bytes, concats, widened };
}

/** The node with its inputs renamed through `of` and, when given, its `group` attribute set. */
function rebuildNode(model: Uint8Array, n: Node, of: (t: string) => string, group: number | null): Uint8Array {
  const parts = n.sub.map((t) => {
    if (t.field === 1 && t.wire === 2) return strField(1, of(text(model, t)));
    if (group !== null && t.field === 5 && t.wire === 2) {
      const name = fields(model, t.payloadStart, t.end).find((a) => a.field === 1);
      if (name && text(model, name) === 'group') return lenField(5, intAttribute('group', group));
    }
    return model.subarray(t.start, t.end);
  });
  return lenField(1, concatBytes(parts));
}
