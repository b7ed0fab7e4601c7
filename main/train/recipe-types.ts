// The training request's vocabulary (optimizer names, recipe choices) and the recipe's plain types: pure values
// without tfjs, shared by the core, the request schema and the API contract (which the renderer type-imports).
import type { AugmentPolicy } from '../data/augment-policy.js';

export { AUGMENT_POLICIES, type AugmentPolicy } from '../data/augment-policy.js';

/** The optimizers, with PyTorch's update rules (main/train/optimizers.ts). */
export const OPTIMIZER_NAMES = ['Adam', 'AdamW', 'SGD'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** What picks the `best` checkpoint (and drives early stopping): validation accuracy or validation ROC AUC. */
export const SELECT_BY = ['accuracy', 'auc'] as const;
export type SelectBy = (typeof SELECT_BY)[number];
/** 'constant', or cosine decay to 0 (both after an optional linear warm-up). */
export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
/**
 * Cached training views: seeded random crops + flips ('augmented'), the image and its mirror image ('mirror'), or
 * the image alone ('plain').
 */
export const TRAIN_VIEWS = ['augmented', 'mirror', 'plain'] as const;
export type TrainViews = (typeof TRAIN_VIEWS)[number];
/** How a linear head on frozen features is fitted: by the optimizer over epochs ('gradient'), or in closed form ('ridge'). */
export const HEAD_FITS = ['gradient', 'ridge'] as const;
export type HeadFit = (typeof HEAD_FITS)[number];
/** Self-blended pseudo-fakes added to the dataset's fakes ('mix') or instead of them ('replace'). */
export const SELF_BLEND_MODES = ['mix', 'replace'] as const;
export type SelfBlendMode = (typeof SELF_BLEND_MODES)[number];

/** Recipe fields of a training request; every one is optional and defaults to the baseline recipe. */
export interface RecipeOptions {
  /**
   * Pretrained models: how many of the backbone's last blocks train with the head (0 = frozen backbone, the
   * head alone; 'all' = full fine-tuning). The frozen trunk's output at the cut is cached per image view.
   */
  unfreezeBlocks?: number | 'all';
  /** Learning-rate factor of unfrozen backbone blocks relative to the head (default 0.1). */
  backboneLrScale?: number;
  /** 'constant' (default) or 'cosine' decay to 0, after `warmupEpochs` of linear warm-up (default 0). */
  schedule?: LrSchedule;
  warmupEpochs?: number;
  /** Weight decay: AdamW's decoupled decay (default 0.01) or SGD's L2 (default 0). */
  weightDecay?: number;
  /** What picks the best checkpoint: validation 'accuracy' (default, as the course assignment) or 'auc'. */
  selectBy?: SelectBy;
  /** Stop after this many epochs without a better validation score. */
  patience?: number;
  /** Average the fake probability of each image and its mirror image when evaluating and scoring. */
  ttaFlip?: boolean;
  /**
   * Self-blended pseudo-fakes (Shiohara & Yamasaki, CVPR 2022) of the real training images, one per augmented
   * view: 'mix' adds them to the dataset's fakes, 'replace' trains on real faces and pseudo-fakes alone.
   * Cached-feature training (a pretrained backbone, frozen or with K unfrozen blocks).
   */
  selfBlend?: SelfBlendMode;
  /**
   * Cached-feature training: 'augmented' (default) = `featureViews` seeded random crops + flips per training image;
   * 'mirror' = the image and its mirror image, the very views a --tta-flip evaluation reads; 'plain' = the image alone.
   */
  trainViews?: TrainViews;
  /**
   * 'ridge': a linear head on the frozen backbone's standardised features is fitted in closed form (ridge regression, its
   * strength chosen on validation AUC, probabilities calibrated on validation) in one epoch; 'gradient' (default): the optimizer.
   */
  headFit?: HeadFit;
  /** Raw photos: every image (training, scoring, explaining) is the crop of its largest face with a 1.3× margin. */
  cropFaces?: boolean;
  /** Train-time augmentation of the loader and of cached augmented views (default 'crop-flip'). */
  augment?: AugmentPolicy;
  /** Every training batch holds as many real as fake images (the smaller class repeats within an epoch). */
  balancedBatches?: boolean;
}

/** Every recipe field, in the order a run's params list them. */
export const RECIPE_KEYS = [
  'unfreezeBlocks',
  'backboneLrScale',
  'schedule',
  'warmupEpochs',
  'weightDecay',
  'selectBy',
  'patience',
  'ttaFlip',
  'selfBlend',
  'trainViews',
  'headFit',
  'cropFaces',
  'augment',
  'balancedBatches',
] as const satisfies readonly (keyof RecipeOptions)[];
