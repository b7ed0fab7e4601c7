// The training recipe beyond the course assignment's flags: partial unfreezing, schedule, selection, test-time flips.
import { UnmaskError } from '../engine/errors.js';
import type { ModelEntry } from '../models/registry.js';
import {
  RECIPE_KEYS,
  type AugmentPolicy,
  type HeadFit,
  type LrSchedule,
  type RecipeOptions,
  type SelectBy,
  type SelfBlendMode,
  type TrainViews,
} from './recipe-types.js';

export type { RecipeOptions } from './recipe-types.js';

/** What a run records of its recipe (only what differs from the baseline recipe). */
export type RecipeParams = Partial<Record<keyof RecipeOptions, unknown>>;

export const DEFAULT_BACKBONE_LR_SCALE = 0.1;

const bad = (message: string): never => {
  throw new UnmaskError('BAD_ARGUMENT', message);
};

/** The number of trainable blocks a model offers, and the layer after which K unfrozen blocks start. */
export function cutForUnfreeze(entry: ModelEntry, model: string, blocks: number): string {
  if (entry.pretrained && blocks === 0) return entry.pretrained.featureLayer;
  const list = entry.pretrained?.blocks;
  if (!entry.pretrained || !list) return bad(`${model} has no pretrained backbone blocks to unfreeze`);
  if (blocks >= list.length) return bad(`${model} has ${list.length} backbone blocks: unfreeze 1 to ${list.length - 1} of them, or 'all'`);
  return list[list.length - 1 - blocks]!;
}

/**
 * Checks the recipe fields of a request against the model (the request schema has checked each value's range);
 * returns them with only explicit values set.
 */
export function checkRecipe(r: RecipeOptions, model: string, entry: ModelEntry, optimizer: string): RecipeOptions {
  const out: RecipeOptions = {};
  if (r.unfreezeBlocks != null) {
    if (r.unfreezeBlocks !== 'all') cutForUnfreeze(entry, model, r.unfreezeBlocks);
    else if (!entry.pretrained) bad(`${model} has no pretrained backbone to unfreeze`);
    out.unfreezeBlocks = r.unfreezeBlocks;
  }
  if (r.weightDecay != null && optimizer === 'Adam') bad('Adam has no weight decay here: use -o AdamW (decoupled decay) or -o SGD');
  if (r.selfBlend != null) {
    if (!entry.pretrained) bad(`self-blending trains on cached backbone views: ${model} has no pretrained backbone`);
    if (r.unfreezeBlocks === 'all') bad("self-blending trains on cached backbone views: use --unfreeze-blocks K, not 'all'");
  }
  if (r.trainViews != null && (!entry.pretrained || r.unfreezeBlocks === 'all')) bad(`train views are cached backbone views: ${model} here has none`);
  if (r.augment === 'deepfake' && (r.trainViews === 'mirror' || r.trainViews === 'plain'))
    bad(`--train-views ${r.trainViews} caches no augmented view: the deepfake augmentation needs --train-views augmented`);
  if (r.headFit === 'ridge') {
    if (!entry.linearHead) bad(`the ridge head fits a linear layer on standardised frozen features: ${model}'s head is not one`);
    if (r.unfreezeBlocks != null && r.unfreezeBlocks !== 0) bad('the ridge head is fitted on the frozen backbone: drop --unfreeze-blocks');
    if (r.balancedBatches) bad('the ridge head is fitted on every training view at once: it has no batches to balance (drop --balanced-batches)');
  }
  // unfreezeBlocks and cropFaces are set above and below.
  for (const key of RECIPE_KEYS.filter((k) => k !== 'unfreezeBlocks' && k !== 'cropFaces')) {
    if (r[key] != null) Object.assign(out, { [key]: r[key] });
  }
  if (r.cropFaces) out.cropFaces = true;
  return out;
}

/** The recipe fields of stored run params (older runs have none: the baseline recipe). */
export function recipeFromParams(p: Record<string, unknown>): RecipeOptions {
  const pick = <T>(key: keyof RecipeOptions, ok: (v: unknown) => boolean): T | undefined => (ok(p[key]) ? (p[key] as T) : undefined);
  const num = (v: unknown) => typeof v === 'number';
  return Object.fromEntries(
    Object.entries({
      unfreezeBlocks: pick<number | 'all'>('unfreezeBlocks', (v) => num(v) || v === 'all'),
      backboneLrScale: pick<number>('backboneLrScale', num),
      schedule: pick<LrSchedule>('schedule', (v) => typeof v === 'string'),
      warmupEpochs: pick<number>('warmupEpochs', num),
      weightDecay: pick<number>('weightDecay', num),
      selectBy: pick<SelectBy>('selectBy', (v) => typeof v === 'string'),
      patience: pick<number>('patience', num),
      ttaFlip: pick<boolean>('ttaFlip', (v) => typeof v === 'boolean'),
      selfBlend: pick<SelfBlendMode>('selfBlend', (v) => typeof v === 'string'),
      trainViews: pick<TrainViews>('trainViews', (v) => typeof v === 'string'),
      headFit: pick<HeadFit>('headFit', (v) => typeof v === 'string'),
      cropFaces: pick<boolean>('cropFaces', (v) => v === true),
      augment: pick<AugmentPolicy>('augment', (v) => typeof v === 'string'),
      balancedBatches: pick<boolean>('balancedBatches', (v) => v === true),
    }).filter(([, v]) => v !== undefined),
  ) as RecipeOptions;
}
