// Face-part boxes (eyes, nose, mouth, cheeks) from 68 landmarks, and landmarks carried through flips and crops.
import { IMAGE_SIZE } from './types.js';

/** The parts a face-part detector zooms into, in this order; the `right_*` crops are mirrored so left and right compare. */
export const FACE_PARTS = ['left_eye', 'right_eye', 'nose', 'mouth', 'left_cheek', 'right_cheek'] as const;
export type FacePart = (typeof FACE_PARTS)[number];
/** Numbers per part box: [x0, y0, side] in pixels of the 256 px image. */
export const PART_BOX_VALUES = 3;
/** Whether the crop of part k is mirrored (the image's right-hand parts). */
export const PART_MIRRORED: readonly boolean[] = FACE_PARTS.map((p) => p.startsWith('right_'));
/** Side of a part box, in inter-ocular distances: an eye with its lids and brow corner, a nose tip, a mouth. */
export const PART_SIDE_IOD = 0.9;

/**
 * iBUG-68 index of each landmark's mirror partner (jaw 0↔16, brows 17↔26, eyes 36↔45, mouth corners 48↔54, …),
 * so that index semantics ("36–41 is the eye on the image's left") survive a horizontal flip.
 */
export const MIRROR_LANDMARK: readonly number[] = (() => {
  const pairs: [number, number][] = [
    ...Array.from({ length: 8 }, (_, i): [number, number] => [i, 16 - i]),
    [17, 26],
    [18, 25],
    [19, 24],
    [20, 23],
    [21, 22],
    [31, 35],
    [32, 34],
    [36, 45],
    [37, 44],
    [38, 43],
    [39, 42],
    [40, 47],
    [41, 46],
    [48, 54],
    [49, 53],
    [50, 52],
    [55, 59],
    [56, 58],
    [60, 64],
    [61, 63],
    [65, 67],
  ];
  const p = Array.from({ length: 68 }, (_, i) => i);
  for (const [a, b] of pairs) {
    p[a] = b;
    p[b] = a;
  }
  return p;
})();

/** Landmarks of a typical face crop (both shared datasets' mean eye, nose and mouth positions), used when no face is found. */
const TEMPLATE_CENTRES: Record<FacePart, [number, number]> = {
  left_eye: [95, 124],
  right_eye: [161, 124],
  nose: [128, 160],
  mouth: [128, 194],
  left_cheek: [90, 168],
  right_cheek: [166, 168],
};
const TEMPLATE_IOD = 66;

/**
 * Everything besides the landmarks that places the part boxes, for the feature-cache key of a detector that reads
 * them: a cached part feature is only reused while its boxes would be drawn the same way. Bump the leading number
 * when partCentres or partBoxes change how they compute.
 */
export const PART_BOXES_VERSION = `part-boxes-1:side${PART_SIDE_IOD}iod:template${TEMPLATE_IOD}:${JSON.stringify(TEMPLATE_CENTRES)}`;

const mean = (pts: readonly number[], idx: readonly number[]): [number, number] => {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += pts[2 * i]!;
    y += pts[2 * i + 1]!;
  }
  return [x / idx.length, y / idx.length];
};
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Each part's centre from 68 landmarks [x0, y0, …]. */
export function partCentres(landmarks: readonly number[]): Record<FacePart, [number, number]> {
  const at = (i: number): [number, number] => [landmarks[2 * i]!, landmarks[2 * i + 1]!];
  const mid = (a: [number, number], b: [number, number]): [number, number] => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  return {
    left_eye: mean(landmarks, range(36, 42)),
    right_eye: mean(landmarks, range(42, 48)),
    nose: at(30),
    mouth: mean(landmarks, range(48, 68)),
    left_cheek: mid(at(1), at(31)),
    right_cheek: mid(at(15), at(35)),
  };
}

/**
 * The six part boxes [x0, y0, side] (Float32Array [6 * 3], parts in FACE_PARTS order) of a face: squares of
 * PART_SIDE_IOD × the inter-ocular distance around each part's centre. Without landmarks (no face found), the
 * template face's boxes.
 */
export function partBoxes(landmarks: readonly number[] | null): Float32Array {
  const centres = landmarks ? partCentres(landmarks) : TEMPLATE_CENTRES;
  const iod = landmarks ? Math.hypot(centres.right_eye[0] - centres.left_eye[0], centres.right_eye[1] - centres.left_eye[1]) : TEMPLATE_IOD;
  // A degenerate face (landmarks collapsed onto a point) falls back to the template's scale.
  const side = PART_SIDE_IOD * (iod > 4 ? iod : TEMPLATE_IOD);
  const out = new Float32Array(FACE_PARTS.length * PART_BOX_VALUES);
  FACE_PARTS.forEach((part, k) => {
    const [cx, cy] = centres[part];
    out.set([cx - side / 2, cy - side / 2, side], k * PART_BOX_VALUES);
  });
  return out;
}

/**
 * How a view moves pixels: output (x, y) shows source (flip ? W − x : x) / scale + dx, y / scale + dy (continuous
 * coordinates; `scale` = output pixels per source pixel, 1 when absent).
 */
export interface ViewGeometry {
  dx: number;
  dy: number;
  flip: boolean;
  scale?: number;
}

/** Landmarks of the source image carried to a view of it (crop offset and scale, then mirror with the index permutation). */
export function transformLandmarks(landmarks: readonly number[], g: ViewGeometry): number[] {
  const out = new Array<number>(landmarks.length);
  for (let i = 0; i < landmarks.length / 2; i++) {
    const j = g.flip ? MIRROR_LANDMARK[i]! : i;
    const scale = g.scale ?? 1;
    const x = (landmarks[2 * j]! - g.dx) * scale;
    out[2 * i] = g.flip ? IMAGE_SIZE - x : x;
    out[2 * i + 1] = (landmarks[2 * j + 1]! - g.dy) * scale;
  }
  return out;
}
