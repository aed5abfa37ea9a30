/**
 * The engine's browser-safe public API: pure modules (no Node built-ins, no native addons, no
 * zod) that the web app runs in the browser, so the live capture guidance judges a frame with
 * the engine's own detector decoding, landmark cropping, pose, skin mask and quality gate, and
 * the result page draws the engine's own score bands and tone colours — never a copy of them.
 */
export { buildAnchors, concat, decodeCandidates, paddedView, SHORT_RANGE, blazeFaceInput, type FaceDetection } from './face/blazeface-decode.ts';
export { FACE_DEFAULTS } from './face/defaults.ts';
export { landmarkBox, meshInRoi, roiFromDetection, roiFromLandmarks } from './face/landmarks.ts';
export type { MeshModel } from './face/mesh-model.ts';
export { meshArtifacts, runMesh, runMeshBatch } from './face/mesh-tfjs.ts';
export { weightedNms } from './face/nms.ts';
export { estimatePose } from './face/pose.ts';
export type { RgbImage } from './image.ts';
export { deltaE76, hexToLab, type Lab } from './measures/color.ts';
export { createMeasureContext } from './measures/context.ts';
export { DEFAULT_QUALITY, measureQuality, type QualityCode } from './measures/quality.ts';
export { buildFaceSkin } from './region/face-skin.ts';
export { BAND_EDGES, bandOf, type Band } from './scores/bands.ts';
