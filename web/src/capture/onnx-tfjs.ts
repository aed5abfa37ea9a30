/**
 * Runs a small convolutional ONNX graph (BlazeFace as exported for Barracuda) on TF.js, so the
 * browser needs one ML runtime (TF.js' WebAssembly backend, ~0.4 MB) for both face models
 * instead of adding ONNX Runtime Web (a 14 MB .wasm).
 *
 * TF.js convolutions are channels-last (NHWC) while ONNX is channels-first (NCHW). The export
 * wraps its convolutional body in a Transpose to NCHW at the input and back to NHWC before
 * each output, so the body runs natively in NHWC: those transposes become no-ops, channel axes
 * are remapped, and a tensor's layout is tracked so an op that would need real NCHW data
 * (a Reshape inside the body, any other Transpose) is refused instead of computed wrongly.
 * Supported ops: Transpose, Conv (plain and depthwise), Relu, Add, MaxPool, ConstantOfShape,
 * Concat, Reshape — exactly the BlazeFace graphs; anything else fails at load with its name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx-proto.ts';

const TO_NCHW = '0,3,1,2';
const TO_NHWC = '0,2,3,1';
/** NCHW axis → NHWC axis. */
const AXIS_NHWC = [0, 3, 1, 2];

/** `body`: an NCHW tensor of the graph, held as NHWC; `plain`: data in the graph's own layout. */
type Layout = 'body' | 'plain';
interface Value {
  tensor: tf.Tensor;
  layout: Layout;
}

type Step = (get: (name: string) => Value) => Value;

export class OnnxTfjsGraph {
  private constructor(
    private readonly steps: { node: OnnxNode; run: Step }[],
    private readonly weights: tf.Tensor[],
    readonly inputName: string,
    readonly outputNames: string[],
  ) {}

  static load(graph: OnnxGraph): OnnxTfjsGraph {
    const weights: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => (weights.push(t), t);
    const steps = graph.nodes.map((node) => ({ node, run: compile(node, graph.initializers, keep) }));
    if (graph.inputs.length !== 1) throw new Error(`expected one graph input, got ${graph.inputs.length}`);
    return new OnnxTfjsGraph(steps, weights, graph.inputs[0]!, graph.outputs);
  }

  /** Runs the graph on one input (in the graph's own layout); returns every output's data. */
  run(input: tf.Tensor): Float32Array[] {
    return tf.tidy(() => {
      const values = new Map<string, Value>([[this.inputName, { tensor: input, layout: 'plain' }]]);
      const get = (name: string): Value => {
        const v = values.get(name);
        if (!v) throw new Error(`ONNX graph: value ${name} is used before it is computed`);
        return v;
      };
      for (const { node, run } of this.steps) values.set(node.outputs[0]!, run(get));
      return this.outputNames.map((name) => get(name).tensor.dataSync() as Float32Array);
    });
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
  }
}

function compile(node: OnnxNode, init: Map<string, OnnxTensor>, keep: <T extends tf.Tensor>(t: T) => T): Step {
  const constant = (i: number): OnnxTensor => {
    const t = init.get(node.inputs[i]!);
    if (!t) throw new Error(`${node.op}: input ${node.inputs[i]} must be a constant`);
    return t;
  };
  const ints = (name: string, fallback: number[]): number[] => node.attrs[name] ?? fallback;
  const body = (v: Value): tf.Tensor4D => {
    if (v.layout !== 'body') throw new Error(`${node.op} on a tensor that is not in the convolutional body`);
    return v.tensor as tf.Tensor4D;
  };
  const [a = '', b = ''] = node.inputs;

  switch (node.op) {
    case 'Transpose': {
      const perm = ints('perm', []).join(',');
      if (perm === TO_NCHW) return (get) => ({ tensor: get(a).tensor, layout: 'body' });
      if (perm === TO_NHWC) return (get) => ({ tensor: body(get(a)), layout: 'plain' });
      throw new Error(`Transpose with perm [${perm}] is not supported`);
    }
    case 'Conv': {
      const w = constant(1);
      const [outC, inPerGroup, kh, kw] = w.dims as [number, number, number, number];
      const group = ints('group', [1])[0]!;
      const [sy, sx] = ints('strides', [1, 1]) as [number, number];
      if (ints('dilations', [1, 1]).some((d) => d !== 1)) throw new Error('dilated Conv is not supported');
      const [top, left, bottom, right] = ints('pads', [0, 0, 0, 0]) as [number, number, number, number];
      const oihw = tf.tensor4d(w.data as Float32Array, [outC, inPerGroup, kh, kw]);
      const bias = node.inputs[2] ? keep(tf.tensor1d(constant(2).data as Float32Array)) : null;
      // ONNX pads [top, left, bottom, right] as TF.js' explicit NHWC padding (often asymmetric here).
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [top, bottom], [left, right], [0, 0]];
      let conv: (x: tf.Tensor4D) => tf.Tensor4D;
      if (group === 1) {
        const filter = keep(tf.transpose(oihw, [2, 3, 1, 0]) as tf.Tensor4D); // → [kh, kw, in, out]
        conv = (x) => tf.conv2d(x, filter, [sy, sx], pad);
      } else if (inPerGroup === 1 && group === outC) {
        const filter = keep(tf.transpose(oihw, [2, 3, 0, 1]) as tf.Tensor4D); // → [kh, kw, channels, 1]
        conv = (x) => tf.depthwiseConv2d(x, filter, [sy, sx], pad);
      } else {
        throw new Error(`grouped Conv (group ${group}) is not supported`);
      }
      oihw.dispose();
      return (get) => {
        const y = conv(body(get(a)));
        return { tensor: bias ? tf.add(y, bias) : y, layout: 'body' };
      };
    }
    case 'Relu':
      return (get) => {
        const v = get(a);
        return { tensor: tf.relu(v.tensor), layout: v.layout };
      };
    case 'Add':
      return (get) => {
        const x = get(a);
        const y = get(b);
        if (x.layout !== y.layout) throw new Error('Add of tensors in different layouts');
        return { tensor: tf.add(x.tensor, y.tensor), layout: x.layout };
      };
    case 'MaxPool': {
      const [kh, kw] = ints('kernel_shape', []) as [number, number];
      const [sy, sx] = ints('strides', [1, 1]) as [number, number];
      if (ints('pads', [0, 0, 0, 0]).some((p) => p !== 0)) throw new Error('padded MaxPool is not supported');
      return (get) => ({ tensor: tf.maxPool(body(get(a)), [kh, kw], [sy, sx], 'valid'), layout: 'body' });
    }
    case 'ConstantOfShape': {
      if ((node.attrs.value ?? []).some((v) => v !== 0)) throw new Error('ConstantOfShape with a non-zero value is not supported');
      const [n, c, h, w] = constant(0).data as number[];
      // The zero channels BlazeFace concatenates to widen a residual branch, in NHWC.
      const zeros = keep(tf.zeros([n!, h!, w!, c!]));
      return () => ({ tensor: zeros, layout: 'body' });
    }
    case 'Concat': {
      const axis = ints('axis', [0])[0]!;
      return (get) => {
        const parts = node.inputs.map(get);
        if (parts.some((p) => p.layout !== 'body') || axis < 0 || axis > 3) throw new Error('Concat outside the convolutional body');
        return { tensor: tf.concat(parts.map((p) => p.tensor), AXIS_NHWC[axis]), layout: 'body' };
      };
    }
    case 'Reshape': {
      const shape = constant(1).data as number[];
      return (get) => {
        const v = get(a);
        if (v.layout !== 'plain') throw new Error('Reshape inside the convolutional body is not supported');
        return { tensor: tf.reshape(v.tensor, shape), layout: 'plain' };
      };
    }
    default:
      throw new Error(`ONNX op ${node.op} is not supported`);
  }
}
