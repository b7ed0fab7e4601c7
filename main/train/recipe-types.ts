// The training recipe's plain types, shared by the core and the API contract (which the renderer type-imports).

/** What picks the `best` checkpoint (and drives early stopping): validation accuracy or validation ROC AUC. */
export type SelectBy = 'accuracy' | 'auc';
/** 'constant', or cosine decay to 0 (both after an optional linear warm-up). */
export type LrSchedule = 'constant' | 'cosine';
/**
 * Cached training views: seeded random crops + flips ('augmented'), the image and its mirror image ('mirror'), or
 * the image alone ('plain').
 */
export type TrainViews = 'augmented' | 'mirror' | 'plain';
/** How a linear head on frozen features is fitted: by the optimizer over epochs ('gradient'), or in closed form ('ridge'). */
export type HeadFit = 'gradient' | 'ridge';
/** Self-blended pseudo-fakes added to the dataset's fakes ('mix') or instead of them ('replace'). */
export type SelfBlendMode = 'mix' | 'replace';

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
}
