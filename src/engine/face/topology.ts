/**
 * Landmark indices of the 468-point MediaPipe canonical face mesh (the FACEMESH_*
 * connection sets of MediaPipe's face_mesh_connections.py). "Right" and "left" are the
 * subject's: the right eye appears on the image's left in a frontal photo.
 */
export const LANDMARK = {
  foreheadTop: 10,
  glabella: 9,
  noseBridge: 6,
  noseTip: 1,
  subnasale: 2,
  chin: 152,
  rightEyeOuter: 33,
  rightEyeInner: 133,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  rightEyeLower: 145,
  leftEyeLower: 374,
  mouthRight: 61,
  mouthLeft: 291,
  rightFaceEdge: 234,
  leftFaceEdge: 454,
  rightAlar: 129,
  leftAlar: 358,
} as const;

export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
  172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];
export const RIGHT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
export const LEFT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
/** Brows: upper edge outer→inner, then lower edge inner→outer (a closed outline). */
export const RIGHT_BROW = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
export const LEFT_BROW = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
export const LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];

/** Nasolabial folds run from beside the nostril wing to beside the mouth corner (wrinkle zone). */
export const NASOLABIAL_RIGHT = [203, 206, 216, 212];
export const NASOLABIAL_LEFT = [423, 426, 436, 432];
