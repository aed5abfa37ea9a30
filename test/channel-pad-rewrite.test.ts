/**
 * The channel-pad rewrite (src/engine/face/channel-pad-rewrite.ts) on tiny graphs built here, byte
 * by byte (ONNX's onnx.proto3 field numbers): what it must leave alone. A zero-padding Concat
 * (24 → 28 channels, stored as 32) followed by a Relu, MaxPool or Add whose output is a graph
 * output would hand 32 channels to a caller promised 28 (ORT does not check a declared output
 * shape): the model must come back unchanged. The same graph with a head convolution after it is
 * rewritten (the control: the negative cases are graphs it does recognise), its output keeping
 * 28 channels. A weight that is not float32 makes the rewrite throw; BlazeFace's loader
 * (channelPadded) then keeps the file as shipped and says why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelPadded } from '../src/engine/face/blazeface.ts';
import { rewriteChannelPadding } from '../src/engine/face/channel-pad-rewrite.ts';
import { concatBytes, floatInitializer, intField, intsAttribute, lenField, node, strField } from '../src/engine/runtime/onnx-proto.ts';
import { ort } from '../src/engine/runtime/onnx.ts';

const FLOAT = 1;
const INT64 = 7;
const DOUBLE = 11;
const C = 24;
const PAD = 4; // 24 + 4 = 28 channels, stored as 32 (block 16)
const HW = 8;

/** ValueInfoProto: name (1), type (2) → TypeProto.tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1). */
const valueInfo = (field: number, name: string, dims: number[]) =>
  lenField(field, concatBytes([strField(1, name), lenField(2, lenField(1, concatBytes([intField(1, FLOAT), lenField(2, concatBytes(dims.map((d) => lenField(1, intField(1, d)))))])))]));

/** A GraphProto.initializer (5) of another type: dims (1), data_type (2), name (8), raw_data (9). */
const rawInitializer = (name: string, dims: number[], type: number, raw: ArrayBufferView) =>
  lenField(5, concatBytes([...dims.map((d) => intField(1, d)), intField(2, type), strField(8, name), lenField(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))]));

/** ModelProto: ir_version (1) 8, opset_import (8) version 13, graph (7): nodes (1), name (2), initializers (5), input (11), output (12). */
function model(nodes: Uint8Array[], initializers: Uint8Array[], outChannels: number): Uint8Array {
  const graph = concatBytes([...nodes, strField(2, 'tiny'), ...initializers, valueInfo(11, 'x', [1, C, HW, HW]), valueInfo(12, 'y', [1, outChannels, HW, HW])]);
  return concatBytes([intField(1, 8), lenField(8, intField(2, 13)), lenField(7, graph)]);
}

const ramp = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * scale);

/** x → Conv 1×1 (24) → Concat with 4 zero channels (ConstantOfShape) → `tail` → y. */
function padThen(tail: 'Relu' | 'MaxPool' | 'Add' | 'Relu+Conv', weightType = FLOAT): Uint8Array {
  const weight = weightType === FLOAT ? floatInitializer('w', [C, C, 1, 1], ramp(C * C, 0.2)) : rawInitializer('w', [C, C, 1, 1], weightType, Float64Array.from(ramp(C * C, 0.2)));
  const initializers = [weight, rawInitializer('zshape', [4], INT64, BigInt64Array.from([1n, BigInt(PAD), BigInt(HW), BigInt(HW)]))];
  const nodes = [node('Conv', ['x', 'w'], ['a'], 'conv', [intsAttribute('kernel_shape', [1, 1])]), node('ConstantOfShape', ['zshape'], ['z'], 'zeros'), node('Concat', ['a', 'z'], ['c'], 'pad', [concatBytes([strField(1, 'axis'), intField(3, 1), intField(20, 2)])])];
  if (tail === 'Relu') nodes.push(node('Relu', ['c'], ['y'], 'relu'));
  if (tail === 'MaxPool') nodes.push(node('MaxPool', ['c'], ['y'], 'pool', [intsAttribute('kernel_shape', [1, 1])]));
  if (tail === 'Add') nodes.push(node('Add', ['c', 'c'], ['y'], 'add'));
  if (tail === 'Relu+Conv') {
    nodes.push(node('Relu', ['c'], ['r'], 'relu'), node('Conv', ['r', 'h'], ['y'], 'head', [intsAttribute('kernel_shape', [1, 1])]));
    initializers.push(floatInitializer('h', [C + PAD, C + PAD, 1, 1], ramp((C + PAD) ** 2, 0.1)));
  }
  return model(nodes, initializers, C + PAD);
}

async function run(bytes: Uint8Array): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const { y } = await session.run({ x: new ort.Tensor('float32', ramp(C * HW * HW, 1), [1, C, HW, HW]) });
    return { dims: y.dims, data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

for (const tail of ['Relu', 'MaxPool', 'Add'] as const) {
  test(`a graph output after ${tail === 'Add' ? 'an' : 'a'} ${tail} of zero-padded channels: the model is left unchanged, its output keeps 28 channels`, async () => {
    const plain = padThen(tail);
    const { bytes, concats, widened } = rewriteChannelPadding(plain);
    assert.deepEqual([concats, widened], [0, 0]);
    assert.equal(bytes, plain, 'the same bytes');
    assert.deepEqual((await run(bytes)).dims, [1, C + PAD, HW, HW]);
  });
}

test('control: with a head convolution after the padded Relu the same graph is rewritten, its output the same', async () => {
  const plain = padThen('Relu+Conv');
  const rewritten = rewriteChannelPadding(plain);
  assert.equal(rewritten.concats, 1);
  const [a, b] = [await run(plain), await run(rewritten.bytes)];
  assert.deepEqual(b.dims, [1, C + PAD, HW, HW]);
  let worst = 0;
  a.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.data[i]))));
  assert.ok(worst < 1e-5, `outputs ${worst} apart`);
});

test('a weight that is not float32: the rewrite throws, and BlazeFace loads the graph as shipped, saying why', () => {
  const plain = padThen('Relu+Conv', DOUBLE);
  assert.throws(() => rewriteChannelPadding(plain), /not float32/);
  const got = channelPadded(plain);
  assert.equal(got.bytes, plain, 'the same bytes');
  assert.equal(got.concats, 0);
  assert.match(got.skipped ?? '', /not float32/);
  const ok = channelPadded(padThen('Relu+Conv'));
  assert.deepEqual([ok.concats, ok.skipped], [1, undefined]);
});
