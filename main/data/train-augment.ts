// Train-time augmentation of either policy: one draw per sample (or cached view), the image it renders and where it moves the face.
import type { AugmentPolicy } from './augment-policy.js';
import { deepfakeAugment, deepfakeGeometry, drawDeepfakeAugment, type DeepfakeAugmentParams } from './deepfake-augment.js';
import type { ViewGeometry } from './face-parts.js';
import type { Rng } from './rng.js';
import { augmentNormalise, drawAugment, normalise, type AugmentParams } from './transforms.js';

export type TrainAugment = { policy: 'crop-flip'; params: AugmentParams } | { policy: 'deepfake'; params: DeepfakeAugmentParams };

/** One augmentation of `policy` from `rng` ('crop-flip' draws exactly what `drawAugment` draws). */
export function drawTrainAugment(policy: AugmentPolicy, rng: Rng): TrainAugment {
  return policy === 'deepfake' ? { policy, params: drawDeepfakeAugment(rng) } : { policy, params: drawAugment(rng) };
}

/** Where the augmentation moves the source's pixels (the face landmarks move with them). */
export function augmentGeometry(a: TrainAugment): ViewGeometry {
  return a.policy === 'deepfake' ? deepfakeGeometry(a.params) : a.params;
}

/** The normalised training image [256, 256, 3] (the image as evaluated when `a` is null), into `out` at `offset`. */
export function renderAugmented(src: Uint8Array, a: TrainAugment | null, out?: Float32Array, offset = 0): Float32Array {
  if (a === null) return normalise(src, out, offset);
  return a.policy === 'deepfake' ? normalise(deepfakeAugment(src, a.params), out, offset) : augmentNormalise(src, a.params, out, offset);
}
