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
 * needs are read (ONNX's onnx.proto3: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5; TensorProto.dims = 1,
 * data_type = 2, float_data = 4, name = 8, raw_data = 9; AttributeProto.name = 1, i = 3, ints = 8,
 * type = 20); every other field is copied byte for byte.
 */

interface Field {
  field: number;
  wire: number;
  /** The whole field (tag included) and its payload (for length-delimited fields). */
  start: number;
  end: number;
  payloadStart: number;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
    if (scale > 2 ** 63) throw new Error('varint too long');
  }
}

function fields(buf: Uint8Array, from = 0, to = buf.length): Field[] {
  const out: Field[] = [];
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, p] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let payloadStart = p;
    let end: number;
    if (wire === 0) end = readVarint(buf, p)[1];
    else if (wire === 1) end = p + 8;
    else if (wire === 5) end = p + 4;
    else if (wire === 2) {
      const [len, q] = readVarint(buf, p);
      payloadStart = q;
      end = q + len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (end > to) throw new Error('truncated protobuf field');
    out.push({ field, wire, start, end, payloadStart });
    pos = end;
  }
  return out;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const text = (buf: Uint8Array, f: Field) => decoder.decode(buf.subarray(f.payloadStart, f.end));

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const tagged = (field: number, wire: number) => Uint8Array.from(varint(field * 8 + wire));
const lenField = (field: number, payload: Uint8Array) => concat([tagged(field, 2), Uint8Array.from(varint(payload.length)), payload]);
const strField = (field: number, s: string) => lenField(field, encoder.encode(s));
const intField = (field: number, v: number) => concat([tagged(field, 0), Uint8Array.from(varint(v))]);

function intAttribute(name: string, v: number): Uint8Array {
  return concat([strField(1, name), intField(3, v), intField(20, 2)]); // type INT
}
function intsAttribute(name: string, vs: number[]): Uint8Array {
  return concat([strField(1, name), ...vs.map((v) => intField(8, v)), intField(20, 7)]); // type INTS
}
function node(op: string, inputs: string[], outputs: string[], name: string, attributes: Uint8Array[] = []): Uint8Array {
  return lenField(1, concat([...inputs.map((s) => strField(1, s)), ...outputs.map((s) => strField(2, s)), strField(3, name), strField(4, op), ...attributes.map((a) => lenField(5, a))]));
}
/** A float32 initializer [c, 1, 1, 1] (a depthwise 1×1 kernel). */
function kernel(name: string, values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return lenField(5, concat([intField(1, values.length), intField(1, 1), intField(1, 1), intField(1, 1), intField(2, 1), strField(8, name), lenField(9, raw)]));
}

/** The values of a float32 initializer (raw_data or float_data). */
function floatValues(buf: Uint8Array, tensor: Field[]): Float32Array {
  const type = tensor.find((f) => f.field === 2);
  if (!type || readVarint(buf, type.payloadStart)[0] !== 1) throw new Error('PRelu slope is not float32');
  const raw = tensor.find((f) => f.field === 9);
  const view = (f: Field) => new DataView(buf.buffer, buf.byteOffset + f.payloadStart, f.end - f.payloadStart);
  const read = (dv: DataView) => Float32Array.from({ length: dv.byteLength / 4 }, (_, i) => dv.getFloat32(i * 4, true));
  if (raw) return read(view(raw));
  const parts = tensor.filter((f) => f.field === 4);
  return Float32Array.from(parts.flatMap((f) => (f.wire === 2 ? [...read(view(f))] : [new DataView(buf.buffer, buf.byteOffset + f.payloadStart, 4).getFloat32(0, true)])));
}

/** The model with every PRelu node replaced as above; `count` is how many were. */
export function rewritePRelu(model: Uint8Array): { bytes: Uint8Array; count: number } {
  const top = fields(model);
  const graphField = top.find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new Error('ONNX model without a graph');
  const graph = fields(model, graphField.payloadStart, graphField.end);
  const initializers = new Map<string, Field[]>();
  for (const f of graph) {
    if (f.field !== 5 || f.wire !== 2) continue;
    const tensor = fields(model, f.payloadStart, f.end);
    const name = tensor.find((t) => t.field === 8);
    if (name) initializers.set(text(model, name), tensor);
  }
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
  const out = top.map((f) => (f === graphField ? lenField(7, newGraph) : model.subarray(f.start, f.end)));
  return { bytes: concat(out), count };
}
