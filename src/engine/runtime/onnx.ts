/**
 * ONNX Runtime sessions. Each model gets one session for the life of the engine:
 * creating sessions repeatedly leaks native memory in onnxruntime-node.
 */
import fs from 'node:fs';
// ORT's telemetry is switched off by the entry points before this loads (src/boot/ort-telemetry.ts).
import ort from 'onnxruntime-node';

export type Device = 'cpu' | 'cuda';
export type DevicePreference = 'auto' | 'cpu';

let detectedDevice: Device | undefined;

/**
 * CUDA when the CUDA execution provider's libraries are installed and a session can use
 * them, else CPU. (onnxruntime-node ships CPU binaries; CUDA needs its optional download,
 * which this project skips: see allowScripts in package.json.) `'cpu'` as the preference
 * forces CPU. The first call decides for the process: all sessions share one device.
 */
export function detectDevice(preference: DevicePreference = 'auto'): Device {
  if (detectedDevice) return detectedDevice;
  detectedDevice = 'cpu';
  if (preference === 'cpu') return detectedDevice;
  try {
    const cuda = ort.listSupportedBackends().find((b) => b.name === 'cuda');
    const dir = new URL('../../../node_modules/onnxruntime-node/bin/', import.meta.url);
    if (cuda && (cuda.bundled || hasCudaProvider(dir))) detectedDevice = 'cuda';
  } catch {
    // listing backends is best effort; CPU always works
  }
  return detectedDevice;
}

function hasCudaProvider(dir: URL): boolean {
  try {
    return fs.readdirSync(dir, { recursive: true }).some((f) => String(f).includes('providers_cuda'));
  } catch {
    return false;
  }
}

export interface SessionOptions {
  intraOpThreads: number;
}

export async function createSession(model: string | Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  const device = detectDevice();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // No memory pattern: ORT would otherwise plan and keep one block per input shape it has seen
    // (FaceMesh runs at batch 1 and 2). Off, one engine's peak RSS had a median of 281 MB against
    // 290.5 MB on, over six alternated runs each (bench/engine-rss.ts; the spreads, 264-293 and
    // 274-305, overlap: bench/README.md), and no model ran slower (FaceMesh batch 1 and 2, the
    // backbone, the short-range detector: the same CPU time in an A/B in one process). The CPU
    // arena stays on: off, the peak rose (bench/README.md, "Memory").
    enableMemPattern: false,
    logSeverityLevel: 3, // the bundled face detector has unused initialisers that ORT warns about
  };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions)
    : ort.InferenceSession.create(model, sessionOptions);
}

export { ort };
