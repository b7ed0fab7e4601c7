// A training request checked and resolved: the schema's limits, then what depends on the model (its defaults, its
// pretrained backbone, the recipe fields it supports). Every entry point calls checkTrainRequest.
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';
import { modelEntry, type ModelName } from '../models/registry.js';
import { checkRecipe, type RecipeOptions } from './recipe.js';
import { requestProblem, TRAIN_DEFAULTS, trainRequestSchema, type TrainDefaults, type TrainRequestInput } from './request-schema.js';

/** A checked request with every default filled in. */
export interface TrainRequest extends RecipeOptions, Omit<TrainDefaults, 'featureViews'> {
  /** One folder, or several trained on together (a list of one is stored as the folder: read it with datasetFolders). */
  dataset: string | string[];
  /** Start the backbone from its ImageNet weights (models with a `pretrained` entry; default true). */
  pretrained?: boolean;
  /** A local pretrained weights file or folder instead of the default source (bundled, cached or downloaded). */
  weights?: string;
  /**
   * Train only the head on cached backbone features. Unset: on when the backbone is pretrained and the engine
   * is not gpu (resolved and recorded when the run is created).
   */
  freezeBackbone?: boolean;
  /** Augmented views cached per training image when the backbone is frozen (default 2). */
  featureViews?: number;
}

const bad = (message: string): never => {
  throw new UnmaskError('BAD_ARGUMENT', message);
};

/** Validates a request (CLI flags and API payloads alike) and fills defaults. */
export function checkTrainRequest(input: TrainRequestInput): TrainRequest {
  const parsed = trainRequestSchema.safeParse(input);
  if (!parsed.success) return bad(requestProblem(parsed.error));
  let r = parsed.data;
  const model = r.model ?? TRAIN_DEFAULTS.model;
  const optimizer = r.optimizer ?? TRAIN_DEFAULTS.optimizer;
  const entry = modelEntry(model);
  const recipe = checkRecipe(r, model, entry, optimizer);
  // Unfreezing K blocks trains on cached cut activations (a frozen trunk); 'all' is full fine-tuning.
  if (recipe.unfreezeBlocks != null) {
    const freeze = recipe.unfreezeBlocks !== 'all';
    if (r.freezeBackbone != null && r.freezeBackbone !== freeze)
      bad(`--unfreeze-blocks ${recipe.unfreezeBlocks} contradicts --${r.freezeBackbone ? '' : 'no-'}freeze-backbone`);
    r = { ...r, freezeBackbone: freeze };
  }
  // A closed-form head is solved once, on the frozen backbone's features.
  if (recipe.headFit === 'ridge') {
    if (r.freezeBackbone === false) bad('the ridge head is fitted on the frozen backbone: drop --no-freeze-backbone');
    if (r.epochs != null && r.epochs !== 1) bad(`the ridge head is fitted in closed form in one epoch: use -e 1, not ${r.epochs}`);
    r = { ...r, freezeBackbone: true, epochs: 1 };
  }
  return {
    ...recipe,
    // A list of one is that folder: the request, and the run it records, are exactly a single folder's.
    dataset: typeof r.dataset === 'string' || r.dataset.length > 1 ? r.dataset : r.dataset[0]!,
    model,
    optimizer,
    lr: r.lr ?? entry.trainDefaults?.lr ?? TRAIN_DEFAULTS.lr,
    batchSize: r.batchSize ?? TRAIN_DEFAULTS.batchSize,
    epochs: r.epochs ?? entry.trainDefaults?.epochs ?? TRAIN_DEFAULTS.epochs,
    seed: r.seed ?? TRAIN_DEFAULTS.seed,
    ...pretrainedOptions(model, r),
  };
}

/** The pretrained-backbone fields of a request, checked against what the model offers. */
function pretrainedOptions(model: ModelName, r: TrainRequestInput): Partial<TrainRequest> {
  if (!modelEntry(model).pretrained) {
    if (r.freezeBackbone === true) bad(`${model} has no pretrained backbone to freeze`);
    if (r.weights != null) bad(`${model} takes no pretrained weights (--weights)`);
    return {};
  }
  const pretrained = r.pretrained ?? true;
  const frozenOnly = modelEntry(model).frozenOnly;
  if (frozenOnly && (r.freezeBackbone === false || !pretrained)) bad(`${model} trains with its ImageNet backbone frozen: ${frozenOnly}`);
  if (r.freezeBackbone === true && !pretrained) bad('--freeze-backbone needs the pretrained backbone (drop --no-pretrained)');
  if (r.weights != null && !pretrained) bad('--weights and --no-pretrained contradict each other');
  return {
    pretrained,
    ...(r.weights != null ? { weights: path.resolve(r.weights) } : {}),
    ...(r.freezeBackbone != null ? { freezeBackbone: r.freezeBackbone } : {}),
    featureViews: r.featureViews ?? TRAIN_DEFAULTS.featureViews,
  };
}
