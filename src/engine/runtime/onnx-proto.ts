/**
 * The few protobuf pieces the engine's load-time ONNX graph rewrites need (face/prelu-rewrite.ts,
 * face/channel-pad-rewrite.ts, face/pad-conv-rewrite.ts): read a message's fields without decoding them, and write the
 * nodes, attributes and float32 initializers a rewrite adds. Field numbers are ONNX's
 * onnx.proto3: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, value_info = 13;
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9;
 * AttributeProto.name = 1, i = 3, t = 5, ints = 8, type = 20. Wire format: protobuf's encoding
 * guide (varints, length-delimited fields, fixed 32/64-bit). Anything a rewrite does not touch is
 * copied byte for byte.
 */

export interface Field {
  field: number;
  wire: number;
  /** The whole field (tag included) and its payload (for length-delimited fields). */
  start: number;
  end: number;
  payloadStart: number;
}

export function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
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

/** The fields of the message in buf[from, to), in order. */
export function fields(buf: Uint8Array, from = 0, to = buf.length): Field[] {
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
export const text = (buf: Uint8Array, f: Field) => decoder.decode(buf.subarray(f.payloadStart, f.end));

/** A model's graph, read once for a rewrite. */
export interface ParsedGraph {
  /** The graph's fields (nodes = 1, initializers = 5, outputs = 12, …), in order. */
  graph: Field[];
  /** The initializers' fields by tensor name. */
  initializers: Map<string, Field[]>;
  /** The strings in field `n` of a message (a node's inputs = 1, a value's name = 1, …). */
  strings(sub: Field[], n: number): string[];
  /** The model with its graph's payload replaced; every other field copied byte for byte. */
  withGraph(payload: Uint8Array): Uint8Array;
}

export function parseGraph(model: Uint8Array): ParsedGraph {
  const top = fields(model);
  const graphField = top.find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new Error('ONNX model without a graph');
  const graph = fields(model, graphField.payloadStart, graphField.end);
  const strings = (sub: Field[], n: number) => sub.filter((t) => t.field === n && t.wire === 2).map((t) => text(model, t));
  const initializers = new Map<string, Field[]>();
  for (const f of graph.filter((g) => g.field === 5 && g.wire === 2)) {
    const tensor = fields(model, f.payloadStart, f.end);
    const [name] = strings(tensor, 8);
    if (name !== undefined) initializers.set(name, tensor);
  }
  const withGraph = (payload: Uint8Array) => concatBytes(top.map((f) => (f === graphField ? lenField(7, payload) : model.subarray(f.start, f.end))));
  return { graph, initializers, strings, withGraph };
}

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

export const concatBytes = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const tagged = (field: number, wire: number) => Uint8Array.from(varint(field * 8 + wire));
export const lenField = (field: number, payload: Uint8Array) => concatBytes([tagged(field, 2), Uint8Array.from(varint(payload.length)), payload]);
export const strField = (field: number, s: string) => lenField(field, encoder.encode(s));
export const intField = (field: number, v: number) => concatBytes([tagged(field, 0), Uint8Array.from(varint(v))]);

export function intAttribute(name: string, v: number): Uint8Array {
  return concatBytes([strField(1, name), intField(3, v), intField(20, 2)]); // type INT
}
export function intsAttribute(name: string, vs: number[]): Uint8Array {
  return concatBytes([strField(1, name), ...vs.map((v) => intField(8, v)), intField(20, 7)]); // type INTS
}
/** A GraphProto.node field; `attributes` are AttributeProto payloads, `raw` any further NodeProto fields as bytes. */
export function node(op: string, inputs: string[], outputs: string[], name: string, attributes: Uint8Array[] = [], raw: Uint8Array[] = []): Uint8Array {
  return lenField(1, concatBytes([...inputs.map((s) => strField(1, s)), ...outputs.map((s) => strField(2, s)), strField(3, name), strField(4, op), ...attributes.map((a) => lenField(5, a)), ...raw]));
}
/** A GraphProto.initializer field: a float32 tensor of these dims, as raw_data. */
export function floatInitializer(name: string, dims: number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return lenField(5, concatBytes([...dims.map((d) => intField(1, d)), intField(2, 1), strField(8, name), lenField(9, raw)]));
}

/** A TensorProto's dims (field 1, one varint each or packed). */
export function tensorDims(buf: Uint8Array, tensor: Field[]): number[] {
  const dims: number[] = [];
  for (const f of tensor.filter((t) => t.field === 1)) {
    if (f.wire === 0) dims.push(readVarint(buf, f.payloadStart)[0]);
    else for (let p = f.payloadStart; p < f.end; ) [dims[dims.length], p] = readVarint(buf, p);
  }
  return dims;
}
const dataType = (buf: Uint8Array, tensor: Field[]) => {
  const type = tensor.find((f) => f.field === 2);
  return type ? readVarint(buf, type.payloadStart)[0] : 0;
};
const view = (buf: Uint8Array, f: Field) => new DataView(buf.buffer, buf.byteOffset + f.payloadStart, f.end - f.payloadStart);

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The values of a float32 initializer (raw_data or float_data). */
export function floatValues(buf: Uint8Array, tensor: Field[]): Float32Array {
  if (dataType(buf, tensor) !== 1) throw new Error('initializer is not float32');
  const raw = tensor.find((f) => f.field === 9);
  const read = (dv: DataView) => Float32Array.from({ length: dv.byteLength / 4 }, (_, i) => dv.getFloat32(i * 4, true));
  // raw_data is little-endian: on a little-endian machine a copy of its bytes is the array (fast;
  // the per-value DataView read took ~100 ms for the detector's weights before the JIT warmed up).
  if (raw && LITTLE_ENDIAN) {
    const bytes = new Uint8Array(raw.end - raw.payloadStart); // a fresh, aligned buffer (a Node Buffer's slice would share the file's)
    bytes.set(buf.subarray(raw.payloadStart, raw.end));
    return new Float32Array(bytes.buffer);
  }
  if (raw) return read(view(buf, raw));
  const parts = tensor.filter((f) => f.field === 4);
  return Float32Array.from(parts.flatMap((f) => (f.wire === 2 ? [...read(view(buf, f))] : [new DataView(buf.buffer, buf.byteOffset + f.payloadStart, 4).getFloat32(0, true)])));
}

/** The values of an int64 initializer (raw_data or int64_data), as numbers. */
export function int64Values(buf: Uint8Array, tensor: Field[]): number[] {
  if (dataType(buf, tensor) !== 7) throw new Error('initializer is not int64');
  const raw = tensor.find((f) => f.field === 9);
  if (raw) {
    const dv = view(buf, raw);
    return Array.from({ length: dv.byteLength / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
  }
  const out: number[] = [];
  for (const f of tensor.filter((t) => t.field === 7)) {
    if (f.wire === 0) out.push(readVarint(buf, f.payloadStart)[0]);
    else for (let p = f.payloadStart; p < f.end; ) [out[out.length], p] = readVarint(buf, p);
  }
  return out;
}
