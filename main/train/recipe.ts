// The training recipe beyond the course assignment's flags: partial unfreezing, schedule, selection, test-time flips.
import { UnmaskError } from '../engine/errors.js';
import type { ModelEntry } from '../models/registry.js';
import type { HeadFit, LrSchedule, RecipeOptions, SelectBy, SelfBlendMode, TrainViews } from './recipe-types.js';
import { LR_SCHEDULES } from './schedule.js';

export type { RecipeOptions } from './recipe-types.js';
export const SELECT_BY: readonly SelectBy[] = ['accuracy', 'auc'];
export const SELF_BLEND_MODES: readonly SelfBlendMode[] = ['mix', 'replace'];
export const TRAIN_VIEWS: readonly TrainViews[] = ['augmented', 'mirror', 'plain'];
export const HEAD_FITS: readonly HeadFit[] = ['gradient', 'ridge'];

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

/** Checks the recipe fields of a request against the model; returns them with only explicit values set. */
export function checkRecipe(r: RecipeOptions, model: string, entry: ModelEntry, optimizer: string): RecipeOptions {
  const out: RecipeOptions = {};
  if (r.unfreezeBlocks != null) {
    if (r.unfreezeBlocks !== 'all' && !(Number.isInteger(r.unfreezeBlocks) && r.unfreezeBlocks >= 0)) {
      bad(`unfreeze blocks must be a whole number ≥ 0 or 'all', got ${r.unfreezeBlocks}`);
    }
    if (r.unfreezeBlocks !== 'all') cutForUnfreeze(entry, model, r.unfreezeBlocks);
    else if (!entry.pretrained) bad(`${model} has no pretrained backbone to unfreeze`);
    out.unfreezeBlocks = r.unfreezeBlocks;
  }
  if (r.backboneLrScale != null) {
    if (!(Number.isFinite(r.backboneLrScale) && r.backboneLrScale >= 0 && r.backboneLrScale <= 10)) bad(`backbone lr scale must be between 0 and 10, got ${r.backboneLrScale}`);
    out.backboneLrScale = r.backboneLrScale;
  }
  if (r.schedule != null) {
    if (!(LR_SCHEDULES as readonly string[]).includes(r.schedule)) bad(`unknown schedule '${r.schedule}'; choose one of ${LR_SCHEDULES.join(', ')}`);
    out.schedule = r.schedule;
  }
  if (r.warmupEpochs != null) {
    if (!(Number.isFinite(r.warmupEpochs) && r.warmupEpochs >= 0)) bad(`warm-up epochs must be ≥ 0, got ${r.warmupEpochs}`);
    out.warmupEpochs = r.warmupEpochs;
  }
  if (r.weightDecay != null) {
    if (!(Number.isFinite(r.weightDecay) && r.weightDecay >= 0 && r.weightDecay < 1)) bad(`weight decay must be in [0, 1), got ${r.weightDecay}`);
    if (optimizer === 'Adam') bad('Adam has no weight decay here: use -o AdamW (decoupled decay) or -o SGD');
    out.weightDecay = r.weightDecay;
  }
  if (r.selectBy != null) {
    if (!SELECT_BY.includes(r.selectBy)) bad(`select-by must be one of ${SELECT_BY.join(', ')}, got '${r.selectBy}'`);
    out.selectBy = r.selectBy;
  }
  if (r.patience != null) {
    if (!(Number.isInteger(r.patience) && r.patience >= 1)) bad(`patience must be a whole number ≥ 1, got ${r.patience}`);
    out.patience = r.patience;
  }
  if (r.ttaFlip != null) out.ttaFlip = r.ttaFlip;
  if (r.selfBlend != null) {
    if (!SELF_BLEND_MODES.includes(r.selfBlend)) bad(`self-blend must be one of ${SELF_BLEND_MODES.join(', ')}, got '${r.selfBlend}'`);
    if (!entry.pretrained) bad(`self-blending trains on cached backbone views: ${model} has no pretrained backbone`);
    if (r.unfreezeBlocks === 'all') bad("self-blending trains on cached backbone views: use --unfreeze-blocks K, not 'all'");
    out.selfBlend = r.selfBlend;
  }
  if (r.trainViews != null) {
    if (!TRAIN_VIEWS.includes(r.trainViews)) bad(`train views must be one of ${TRAIN_VIEWS.join(', ')}, got '${r.trainViews}'`);
    if (!entry.pretrained || r.unfreezeBlocks === 'all') bad(`train views are cached backbone views: ${model} here has none`);
    out.trainViews = r.trainViews;
  }
  if (r.headFit != null) {
    if (!HEAD_FITS.includes(r.headFit)) bad(`head fit must be one of ${HEAD_FITS.join(', ')}, got '${r.headFit}'`);
    if (r.headFit === 'ridge') {
      if (!entry.linearHead) bad(`the ridge head fits a linear layer on standardised frozen features: ${model}'s head is not one`);
      if (r.unfreezeBlocks != null && r.unfreezeBlocks !== 0) bad('the ridge head is fitted on the frozen backbone: drop --unfreeze-blocks');
    }
    out.headFit = r.headFit;
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
    }).filter(([, v]) => v !== undefined),
  ) as RecipeOptions;
}
