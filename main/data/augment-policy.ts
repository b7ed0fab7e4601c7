// The train-time augmentation policies: plain names shared by the loader, the feature cache and the request schema.

/**
 * 'crop-flip' (the baseline recipe: a random crop with 4 px zero padding, horizontal flip) or 'deepfake' (what
 * deepfake detectors train with: random resized crop, flip, colour jitter, Gaussian blur, JPEG re-compression).
 */
export const AUGMENT_POLICIES = ['crop-flip', 'deepfake'] as const;
export type AugmentPolicy = (typeof AUGMENT_POLICIES)[number];
