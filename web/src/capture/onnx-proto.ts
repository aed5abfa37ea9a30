/**
 * A minimal reader for the ONNX model file (a protobuf ModelProto; field numbers from
 * onnx/onnx.proto3, IR version 3+): just what a small convolutional graph needs — its nodes
 * with their int/float attributes, its initializers (float32 and int64), inputs and outputs.
 * Protobuf wire format: varint keys (field << 3 | wire type), wire types 0 (varint),
 * 1 (64-bit), 2 (length-delimited), 5 (32-bit); https://protobuf.dev/programming-guides/encoding/.
 * The file comes from the server's own bundle, but it is parsed defensively all the same:
 * every length is checked against the buffer.
 */

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Attributes: ints / floats as arrays (a single int is a one-element array). */
  attrs: Record<string, number[]>;
}

export interface OnnxTensor {
  dims: number[];
  /** float32 initializers as Float32Array; int64 ones as plain numbers. */
  data: Float32Array | number[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: string[];
  outputs: string[];
}

type Field = { field: number; wire: number; value: number; start: number; end: number };

const FLOAT = 1;
const INT64 = 7;

class Reader {
  constructor(private readonly bytes: Uint8Array) {}

  varint(pos: number): [number, number] {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.bytes.length) throw new Error('truncated ONNX file');
      const b = this.bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return [result, pos];
      scale *= 128;
    }
    throw new Error('bad varint in ONNX file');
  }

  *fields(start: number, end: number): Generator<Field> {
    let pos = start;
    while (pos < end) {
      const [key, p] = this.varint(pos);
      pos = p;
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) {
        const [value, q] = this.varint(pos);
        yield { field, wire, value, start: pos, end: q };
        pos = q;
      } else if (wire === 2) {
        const [len, q] = this.varint(pos);
        if (q + len > end) throw new Error('truncated ONNX field');
        yield { field, wire, value: len, start: q, end: q + len };
        pos = q + len;
      } else if (wire === 1 || wire === 5) {
        const size = wire === 1 ? 8 : 4;
        if (pos + size > end) throw new Error('truncated ONNX field');
        yield { field, wire, value: 0, start: pos, end: pos + size };
        pos += size;
      } else {
        throw new Error(`unsupported protobuf wire type ${wire}`);
      }
    }
  }

  text(f: Field): string {
    return new TextDecoder().decode(this.bytes.subarray(f.start, f.end));
  }

  /** Packed (wire 2) or single (wire 0) varints; int64 values are read as doubles (exact to 2^53). */
  varints(f: Field): number[] {
    if (f.wire === 0) return [signed(f.value)];
    const out: number[] = [];
    for (let pos = f.start; pos < f.end; ) {
      const [v, p] = this.varint(pos);
      out.push(signed(v));
      pos = p;
    }
    return out;
  }

  floats(f: Field): number[] {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + f.start, f.end - f.start);
    const out: number[] = [];
    for (let i = 0; i + 4 <= view.byteLength; i += 4) out.push(view.getFloat32(i, true));
    return out;
  }

  slice(f: Field): Uint8Array {
    return this.bytes.slice(f.start, f.end);
  }
}

/** Negative int64 values come as 10-byte two's-complement varints (read here as ≥ 2^63). */
function signed(v: number): number {
  return v >= 2 ** 63 ? v - 2 ** 64 : v;
}

export function parseOnnx(bytes: Uint8Array): OnnxGraph {
  const r = new Reader(bytes);
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  let found = false;
  for (const m of r.fields(0, bytes.length)) {
    if (m.field !== 7 || m.wire !== 2) continue; // ModelProto.graph
    found = true;
    for (const g of r.fields(m.start, m.end)) {
      if (g.field === 1) graph.nodes.push(readNode(r, g));
      else if (g.field === 5) {
        const [name, tensor] = readTensor(r, g);
        graph.initializers.set(name, tensor);
      } else if (g.field === 11 || g.field === 12) {
        for (const v of r.fields(g.start, g.end)) if (v.field === 1) (g.field === 11 ? graph.inputs : graph.outputs).push(r.text(v));
      }
    }
  }
  if (!found) throw new Error('not an ONNX model (no graph)');
  // Initializers may also be listed as graph inputs (IR < 4); only the rest are fed.
  graph.inputs = graph.inputs.filter((name) => !graph.initializers.has(name));
  return graph;
}

function readNode(r: Reader, f: Field): OnnxNode {
  const node: OnnxNode = { op: '', inputs: [], outputs: [], attrs: {} };
  for (const n of r.fields(f.start, f.end)) {
    if (n.field === 1) node.inputs.push(r.text(n));
    else if (n.field === 2) node.outputs.push(r.text(n));
    else if (n.field === 4) node.op = r.text(n);
    else if (n.field === 5) {
      // AttributeProto: 1 name, 2 f, 3 i, 7 floats, 8 ints.
      let name = '';
      const values: number[] = [];
      for (const a of r.fields(n.start, n.end)) {
        if (a.field === 1) name = r.text(a);
        else if (a.field === 2 && a.wire === 5) values.push(...r.floats(a));
        else if (a.field === 3) values.push(...r.varints(a));
        else if (a.field === 7) values.push(...r.floats(a));
        else if (a.field === 8) values.push(...r.varints(a));
      }
      node.attrs[name] = values;
    }
  }
  return node;
}

function readTensor(r: Reader, f: Field): [string, OnnxTensor] {
  // TensorProto: 1 dims, 2 data_type, 4 float_data, 7 int64_data, 8 name, 9 raw_data.
  let name = '';
  let type = 0;
  const dims: number[] = [];
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  for (const t of r.fields(f.start, f.end)) {
    if (t.field === 1) dims.push(...r.varints(t));
    else if (t.field === 2) type = t.value;
    else if (t.field === 4) floats.push(...r.floats(t));
    else if (t.field === 7) ints.push(...r.varints(t));
    else if (t.field === 8) name = r.text(t);
    else if (t.field === 9) raw = r.slice(t);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (type === FLOAT) {
    const data = raw ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : Float32Array.from(floats);
    if (data.length !== count) throw new Error(`initializer ${name}: ${data.length} values for shape ${dims.join('×')}`);
    return [name, { dims, data }];
  }
  if (type === INT64) {
    let data = ints;
    if (raw) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      data = [];
      for (let i = 0; i + 8 <= raw.byteLength; i += 8) data.push(Number(view.getBigInt64(i, true)));
    }
    if (data.length !== count) throw new Error(`initializer ${name}: ${data.length} values for shape ${dims.join('×')}`);
    return [name, { dims, data }];
  }
  throw new Error(`initializer ${name}: unsupported data type ${type}`);
}
