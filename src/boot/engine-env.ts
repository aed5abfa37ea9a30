/**
 * The engine settings the entry points take from the environment (the engine itself reads no
 * environment: its options come in through `createEngine`).
 *   SKINSIGHT_DEVICE=cpu   never use CUDA, even where its ONNX Runtime provider is installed.
 */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): 'auto' | 'cpu' {
  return env.SKINSIGHT_DEVICE === 'cpu' ? 'cpu' : 'auto';
}
