/** Merging overlapping face detections, from one model or from several. */
import type { FaceDetection } from './blazeface-decode.ts';

export function iou(a: FaceDetection, b: FaceDetection): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * MediaPipe's "weighted" non-maximum suppression: overlapping detections of one face are
 * averaged by score instead of discarded, which steadies the box and keypoints. The merged
 * face keeps the best member's score.
 */
export function weightedNms(candidates: FaceDetection[], iouThreshold: number): FaceDetection[] {
  const remaining = [...candidates].sort((a, b) => b.score - a.score);
  const faces: FaceDetection[] = [];
  while (remaining.length) {
    const best = remaining[0];
    const group = remaining.filter((c) => iou(best, c) >= iouThreshold);
    const rest = remaining.filter((c) => iou(best, c) < iouThreshold);
    const total = group.reduce((s, c) => s + c.score, 0);
    const avg = (f: (c: FaceDetection) => number) => group.reduce((s, c) => s + f(c) * c.score, 0) / total;
    faces.push({
      x: avg((c) => c.x),
      y: avg((c) => c.y),
      width: avg((c) => c.width),
      height: avg((c) => c.height),
      score: best.score,
      keypoints: best.keypoints.map((_, k) => ({ x: avg((c) => c.keypoints[k].x), y: avg((c) => c.keypoints[k].y) })),
    });
    remaining.splice(0, remaining.length, ...rest);
  }
  return faces;
}
