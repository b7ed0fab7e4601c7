// The one schema of a training request: names, limits and defaults. The CLI, the HTTP/IPC API, sweeps, the queue,
// resume and getInfo (hence the renderer's form) all read it, so every entry point refuses the same requests.
// Pure (zod and name lists, no tfjs): the API contract, which the renderer type-imports, derives its types from it.
import { z } from 'zod';
import { MODEL_NAMES, type ModelName } from '../models/names.js';
import { AUGMENT_POLICIES, HEAD_FITS, LR_SCHEDULES, OPTIMIZER_NAMES, SELECT_BY, SELF_BLEND_MODES, TRAIN_VIEWS, type OptimizerName } from './recipe-types.js';

/** Longest path accepted (Linux PATH_MAX); longer strings are refused before any file-system call. */
const MAX_PATH = 4096;

/** A file or folder path. */
export const pathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte');

export interface TrainDefaults {
  model: ModelName;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  epochs: number;
  seed: number;
  featureViews: number;
}

/** What a request that names no value gets (a model's own lr and epochs come first: its registry entry's trainDefaults). */
export const TRAIN_DEFAULTS: Readonly<TrainDefaults> = { model: 'SimpleNet', optimizer: 'Adam', lr: 0.001, batchSize: 32, epochs: 5, seed: 0, featureViews: 2 };

interface Range {
  /** Inclusive bounds, or `gt`: an exclusive lower bound. */
  min?: number;
  gt?: number;
  max?: number;
  lt?: number;
  integer?: boolean;
}

/** The numeric limits of a request, as getInfo reports them to the renderer's form. */
export const TRAIN_LIMITS = {
  lr: { gt: 0, max: 10 },
  batchSize: { min: 1, max: 4096, integer: true },
  epochs: { min: 1, max: 10_000, integer: true },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  featureViews: { min: 1, max: 64, integer: true },
  unfreezeBlocks: { min: 0, max: 64, integer: true },
  backboneLrScale: { min: 0, max: 10 },
  warmupEpochs: { min: 0, max: 10_000 },
  weightDecay: { min: 0, lt: 1 },
  patience: { min: 1, max: 10_000, integer: true },
} as const satisfies Record<string, Range>;

/** A refused value as the message shows it: strings quoted, numbers (NaN included) as written. */
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function rangeText(r: Range): string {
  const low = r.gt != null ? `(${r.gt}` : `[${r.min ?? '-∞'}`;
  const high = r.lt != null ? `${r.lt})` : `${r.max ?? '∞'}]`;
  return `${r.integer ? 'a whole number' : 'a number'} in ${low}, ${high}`;
}

/** A number within `r`; the message names the field as users write it and the value refused. */
function bounded(label: string, r: Range) {
  const error = (issue: { input?: unknown }) => `${label} must be ${rangeText(r)}, got ${shown(issue.input)}`;
  let schema = z.number({ error });
  if (r.integer) schema = schema.int({ error });
  if (r.min != null) schema = schema.min(r.min, { error });
  if (r.gt != null) schema = schema.gt(r.gt, { error });
  if (r.max != null) schema = schema.max(r.max, { error });
  if (r.lt != null) schema = schema.lt(r.lt, { error });
  return schema;
}

function oneOf<const T extends readonly [string, ...string[]]>(label: string, values: T) {
  return z.enum(values, { error: (issue) => `unknown ${label} ${shown(issue.input)}; choose one of ${values.join(', ')}` });
}

const limits = TRAIN_LIMITS;

/** Several dataset folders trained on together: at least one, none twice (each keeps its own labels and splits). */
const folderListSchema = z
  .array(pathSchema)
  .min(1, 'a dataset list must name at least one folder')
  .superRefine((folders, ctx) => {
    const twice = folders.find((f, i) => folders.indexOf(f) !== i);
    if (twice !== undefined) ctx.addIssue({ code: 'custom', message: `dataset folders must be distinct: ${JSON.stringify(twice)} is listed twice` });
  });

/** The folders of a request's `dataset`, one folder or several, as a list. */
export function datasetFolders(dataset: string | readonly string[]): string[] {
  return typeof dataset === 'string' ? [dataset] : [...dataset];
}

/** Every field; the course assignment's flags first, then the pretrained-backbone fields, then the recipe. */
const fields = {
  /** A dataset folder, or several trained on together (the API: folders opened with openDataset). */
  dataset: z.union([pathSchema, folderListSchema], { error: 'dataset must be a folder or a list of folders' }),
  model: oneOf('model', MODEL_NAMES),
  optimizer: oneOf('optimizer', OPTIMIZER_NAMES),
  lr: bounded('lr', limits.lr),
  batchSize: bounded('batch size', limits.batchSize),
  epochs: bounded('epochs', limits.epochs),
  seed: bounded('seed', limits.seed),
  /** Pretrained models only: start from ImageNet weights (default true). */
  pretrained: z.boolean(),
  /** Pretrained models only: train the head on cached backbone features (default: on except on a GPU). */
  freezeBackbone: z.boolean(),
  /** A local pretrained weights file or folder instead of the default source (CLI only: a path of this machine). */
  weights: pathSchema,
  /** Augmented views cached per training image when the backbone is frozen (CLI only). */
  featureViews: bounded('feature views', limits.featureViews),
  unfreezeBlocks: z.union([bounded('unfreeze blocks', limits.unfreezeBlocks), z.literal('all')], {
    error: (issue) => `unfreeze blocks must be a whole number in [0, 64] or 'all', got ${shown(issue.input)}`,
  }),
  backboneLrScale: bounded('backbone lr scale', limits.backboneLrScale),
  schedule: oneOf('schedule', LR_SCHEDULES),
  warmupEpochs: bounded('warm-up epochs', limits.warmupEpochs),
  weightDecay: bounded('weight decay', limits.weightDecay),
  selectBy: oneOf('select-by', SELECT_BY),
  patience: bounded('patience', limits.patience),
  ttaFlip: z.boolean(),
  selfBlend: oneOf('self-blend mode', SELF_BLEND_MODES),
  trainViews: oneOf('train views', TRAIN_VIEWS),
  headFit: oneOf('head fit', HEAD_FITS),
  cropFaces: z.boolean(),
  augment: oneOf('augmentation', AUGMENT_POLICIES),
  balancedBatches: z.boolean(),
};

/** Every field but the dataset may be left out (a default, or the model's own, fills it). */
export const trainRequestSchema = z.strictObject(fields).partial().required({ dataset: true });

/** What the API accepts: the request without the fields that name this machine's files. */
export const apiTrainRequestSchema = trainRequestSchema.omit({ weights: true, featureViews: true });

/** A training request as sent (the API's startTraining params, a job's request). */
export type ApiTrainRequest = z.input<typeof apiTrainRequestSchema>;
/** A checked request in the API's shape, every default filled in (a job's request). */
export type ResolvedApiTrainRequest = ApiTrainRequest & Required<Pick<ApiTrainRequest, 'model' | 'optimizer' | 'lr' | 'batchSize' | 'epochs' | 'seed'>>;
/** A request as the CLI reads it from flags, unchecked. */
export type TrainRequestInput = z.input<typeof trainRequestSchema>;

/** The first problem of a refused request, in words (the field is named in the message). */
export function requestProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.path[0] === 'dataset') return 'a dataset folder is required (-d DATASET)';
  return issue.path.length && !issue.message.includes(' must ') && !issue.message.startsWith('unknown ')
    ? `${issue.path.join('.')}: ${issue.message}`
    : issue.message;
}
