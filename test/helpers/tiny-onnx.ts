/**
 * Small ONNX classifiers written byte by byte (protobuf by hand), so tests and benches of model
 * versions, A/B splits, shadow mode and batching need no trained weights in the repository.
 *
 * Graph: input [N,3,S,S] → (Conv 3×3 stride 2 → Relu)×depth → GlobalAveragePool → Flatten →
 * Gemm → logits [N,C]. Weights come from a seeded generator, so two seeds give two "versions"
 * that disagree on some photos (what the agreement statistics need).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// --- a minimal protobuf writer: varints, length-delimited fields, packed floats ---
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number | bigint) => [...tag(field, 0), ...varint(n)];
const bytes = (field: number, b: Uint8Array | number[]) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);
const msg = (field: number, parts: number[][]) => bytes(field, parts.flat());

function tensor(name: string, dims: number[], values: Float32Array): number[][] {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return [...dims.map((d) => int(1, d)), int(2, 1 /* FLOAT */), str(8, name), bytes(9, raw)];
}
function valueInfo(name: string, dims: (number | string)[]): number[][] {
  const dim = dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  return [str(1, name), msg(2, [msg(1, [int(1, 1), msg(2, dim)])])];
}
function node(op: string, inputs: string[], outputs: string[], attrs: number[][][] = []): number[][] {
  return [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(4, op), ...attrs.map((a) => msg(5, a))];
}
const intsAttr = (name: string, values: number[]) => [str(1, name), int(20, 7 /* INTS */), ...values.map((v) => int(8, v))];

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 0x1_0000_0000) * 2 - 1;
  };
}

export interface TinyModelOptions {
  classes: number;
  seed: number;
  /** Conv layers before pooling (0: pooling only, near-free; more: a heavier model for benches). */
  depth?: number;
  /** Channels of each conv layer. */
  width?: number;
  size?: number;
}

export function tinyClassifierOnnx(o: TinyModelOptions): Uint8Array {
  const random = rng(o.seed);
  const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => random() * scale);
  const depth = o.depth ?? 1;
  const width = o.width ?? 8;
  const size = o.size ?? 224;
  const nodes: number[][][] = [];
  const inits: number[][][] = [];
  let current = 'input';
  let channels = 3;
  for (let l = 0; l < depth; l++) {
    inits.push(tensor(`w${l}`, [width, channels, 3, 3], fill(width * channels * 9, 0.5 / Math.sqrt(channels * 9))));
    inits.push(tensor(`b${l}`, [width], fill(width, 0.1)));
    nodes.push(node('Conv', [current, `w${l}`, `b${l}`], [`c${l}`], [intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1])]));
    nodes.push(node('Relu', [`c${l}`], [`r${l}`]));
    current = `r${l}`;
    channels = width;
  }
  nodes.push(node('GlobalAveragePool', [current], ['pooled']));
  nodes.push(node('Flatten', ['pooled'], ['flat']));
  inits.push(tensor('fc_w', [channels, o.classes], fill(channels * o.classes, 4)));
  inits.push(tensor('fc_b', [o.classes], fill(o.classes, 0.5)));
  nodes.push(node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits']));
  const graph = [
    ...nodes.map((n) => msg(1, n)),
    str(2, 'tiny'),
    ...inits.map((t) => msg(5, t)),
    msg(11, valueInfo('input', ['N', 3, size, size])),
    msg(12, valueInfo('logits', ['N', o.classes])),
  ];
  const model = [int(1, 8 /* ir_version */), str(2, 'skinsight-tests'), msg(7, graph), msg(8, [str(1, ''), int(2, 13)])];
  return Uint8Array.from(model.flat());
}

export interface TinyRegistryOptions {
  /** acne_binary versions to list, each with its own seed; the first is the default. */
  acneVersions?: string[];
  depth?: number;
  width?: number;
}

/**
 * A models folder with a manifest listing tiny acne_binary versions (different weights) and one
 * skin_condition model. Returns the folder; the caller removes it.
 */
export function writeTinyRegistry(dir: string, options: TinyRegistryOptions = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const versions = options.acneVersions ?? ['2.0.0', '2.1.0'];
  const entry = (task: string, name: string, version: string, classes: string[], seed: number, isDefault: boolean) => {
    const file = `${name}-${version}.onnx`;
    const onnx = tinyClassifierOnnx({ classes: classes.length, seed, depth: options.depth, width: options.width });
    fs.writeFileSync(path.join(dir, file), onnx);
    return {
      name,
      version,
      task,
      file,
      sha256: createHash('sha256').update(onnx).digest('hex'),
      classes,
      default: isDefault,
      license: 'test-only',
      training_data: 'none (random weights for tests)',
    };
  };
  const models = [
    ...versions.map((v, i) => entry('acne_binary', 'acne_tiny', v, ['no_acne', 'acne'], 1000 + i * 7919, i === 0)),
    entry('skin_condition', 'condition_tiny', '1.0.0', ['normal', 'acne', 'rosacea', 'eczema', 'pigmentation'], 42, true),
  ];
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ models }, null, 2));
  return dir;
}
