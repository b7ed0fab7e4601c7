// The flags several `unmask` commands share, and `unmask train`'s (which `unmask sweep` takes too, some as lists).
import { OPTIMIZER_NAMES } from '../train/recipe-types.js';
import { TRAIN_DEFAULTS } from '../train/request-schema.js';
import type { QueueOption } from '../service/job-router.js';
import type { OptionSpec } from './spec.js';

export const db = { type: 'string', value: 'FILE', help: "run database (default UNMASK_DB, else the app's user-data folder)" } as const satisfies OptionSpec;
export const dataRoot = {
  type: 'string',
  value: 'DIR',
  help: 'folder in which a dataset NAME is looked up (default UNMASK_DATA_ROOT)',
} as const satisfies OptionSpec;
export const runFlag = (help: string): OptionSpec => ({ type: 'string', value: 'RUN', required: true, help });
export const batchSize = { type: 'string', value: 'N', help: "images per forward pass (default: the run's training batch size)" } as const satisfies OptionSpec;
export const cropFaces = {
  type: 'boolean',
  help: 'raw photos: use the largest face, cropped with a 1.3× margin (images without a face are listed)',
} as const satisfies OptionSpec;
export const checkpoint = { type: 'string', value: 'best|last', default: 'best', help: 'which checkpoint of the run' } as const satisfies OptionSpec;

export const queue = {
  type: 'string',
  value: 'URL',
  help: 'the Redis job queue, redis://HOST:PORT or rediss://USER:PASSWORD@HOST:PORT (default UNMASK_QUEUE; without one, jobs run on this machine)',
} as const satisfies OptionSpec;
export const artifacts = {
  type: 'string',
  value: 'DIR|s3://B/P',
  help: 'a folder every machine of the queue sees, or an S3 bucket and prefix: checkpoints and feature caches (default UNMASK_ARTIFACTS, else artifacts/ beside the database)',
} as const satisfies OptionSpec;
export const s3Endpoint = {
  type: 'string',
  value: 'URL',
  help: 'an S3-compatible store for s3:// artifacts (MinIO, Ceph…), addressed path-style (default AWS_ENDPOINT_URL, else AWS S3)',
} as const satisfies OptionSpec;
export const artifactsCache = {
  type: 'string',
  value: 'DIR',
  help: "this machine's copy of s3:// artifacts (default UNMASK_ARTIFACTS_CACHE, else unmask/artifacts/BUCKET/PREFIX in the user cache folder)",
} as const satisfies OptionSpec;

/** `unmask train`'s flags (`unmask sweep` takes the same, some as lists). */
export const trainOptions = {
  dataset: {
    type: 'string',
    short: 'd',
    value: 'DATASET',
    required: true,
    multiple: true,
    help: 'dataset folder, or its NAME under --data-root; repeat it (-d A -d B) to train on several folders together',
  },
  model: { type: 'string', short: 'm', value: 'MODEL', help: `model (default ${TRAIN_DEFAULTS.model})` },
  lr: { type: 'string', value: 'LR', help: `learning rate (default ${TRAIN_DEFAULTS.lr}, or the model's own)` },
  'batch-size': { type: 'string', short: 'b', value: 'N', help: `batch size (default ${TRAIN_DEFAULTS.batchSize})` },
  epochs: { type: 'string', short: 'e', value: 'N', help: `epochs (default ${TRAIN_DEFAULTS.epochs}, or the model's own)` },
  optimizer: {
    type: 'string',
    short: 'o',
    value: 'NAME',
    help: `${OPTIMIZER_NAMES.slice(0, -1).join(', ')} or ${OPTIMIZER_NAMES.at(-1)} (default ${TRAIN_DEFAULTS.optimizer})`,
  },
  seed: { type: 'string', value: 'N', help: `random seed of shuffling, augmentation and initialisation (default ${TRAIN_DEFAULTS.seed})` },
  'data-root': dataRoot,
  db,
  'freeze-backbone': { type: 'boolean', help: 'pretrained models: train the head on cached backbone features (the CPU default)' },
  'no-freeze-backbone': { type: 'boolean', help: 'pretrained models: fine-tune everything (for a GPU)' },
  'feature-views': { type: 'string', value: 'N', help: `frozen backbone: augmented views cached per training image (default ${TRAIN_DEFAULTS.featureViews})` },
  weights: { type: 'string', value: 'FILE', help: 'ImageNet weights for the Xception models (a Keras .h5 or tfjs folder)' },
  pretrained: { type: 'boolean', help: 'start from ImageNet weights (the default for pretrained models)' },
  'no-pretrained': { type: 'boolean', help: 'start a pretrained model from random weights' },
  'unfreeze-blocks': { type: 'string', value: 'K|all', help: 'pretrained models: the last K backbone blocks train with the head' },
  'backbone-lr-scale': { type: 'string', value: 'F', help: 'learning-rate factor of the unfrozen blocks (default 0.1)' },
  schedule: { type: 'string', value: 'constant|cosine', help: 'learning-rate schedule (default constant)' },
  'warmup-epochs': { type: 'string', value: 'N', help: 'cosine schedule: epochs of linear warm-up' },
  'weight-decay': { type: 'string', value: 'W', help: "AdamW's decoupled decay or SGD's L2" },
  'select-by': { type: 'string', value: 'accuracy|auc', help: 'what picks the best checkpoint on validation (default accuracy)' },
  patience: { type: 'string', value: 'N', help: 'stop after N epochs without a better validation score' },
  'tta-flip': { type: 'boolean', help: 'evaluate and score each image averaged with its mirror image' },
  'self-blend': { type: 'string', value: 'mix|replace', help: 'train with self-blended pseudo-fakes of the real faces' },
  'train-views': {
    type: 'string',
    value: 'augmented|mirror|plain',
    help: 'cached training views: random crops + flips (default), the image and its mirror image, or the image alone',
  },
  'head-fit': {
    type: 'string',
    value: 'gradient|ridge',
    help: 'a linear head on frozen features: trained by the optimizer (default), or fitted in closed form (ridge, one epoch)',
  },
  'crop-faces': cropFaces,
  augment: {
    type: 'string',
    value: 'crop-flip|deepfake',
    help: 'train-time augmentation: random crop + flip (default), or resized crop, flip, colour jitter, blur and JPEG re-compression',
  },
  'balanced-batches': { type: 'boolean', help: 'every training batch holds as many real as fake images (the smaller class repeats)' },
} as const satisfies Record<string, OptionSpec>;

/** Flags of `unmask train` that only a local run can take (a file of this machine), and not a queued job. */
const { weights: _weights, 'feature-views': _views, ...queueable } = trainOptions;
/** `unmask train`'s flags less those: what `unmask sweep` takes. */
export const queueableTrainOptions = queueable;

/** The Redis queue the --queue flag (else UNMASK_QUEUE) names, with its artifact-root flags; undefined for none. */
export function queueFromFlags(values: { queue?: string; artifacts?: string; 's3-endpoint'?: string; 'artifacts-cache'?: string }): QueueOption | undefined {
  const url = values.queue ?? process.env.UNMASK_QUEUE ?? null;
  if (!url) return undefined;
  return {
    url,
    artifacts: values.artifacts ?? null,
    s3Endpoint: values['s3-endpoint'] ?? null,
    artifactsCache: values['artifacts-cache'] ?? null,
    source: values.queue ? 'flag' : 'env',
  };
}
