// The model registry: one map from name to factory, read by the CLI, the API schema and the UI menus alike.
import type * as tf from '@tensorflow/tfjs';
import { BONUS_FEATURE_LAYER, createBonusNet } from './bonus.js';
import { createSimpleNet } from './simplenet.js';
import { createMobileNetBased, MOBILENET_BLOCK_OUTPUTS, MOBILENET_FEATURE_MAP, MOBILENET_POOL } from './mobilenet.js';
import type { AssignResult } from './pretrained/assign.js';
import type { RecommendedRecipe } from '../api/contract.js';
import type { ModelName } from './names.js';
import { createXception, createXceptionBased, createXceptionRegions, XCEPTION_BLOCK_OUTPUTS, XCEPTION_REGIONS_CAM } from './xception.js';
import { createXceptionParts, PARTS_FEATURE_LAYER, XCEPTION_PARTS_CAM } from './xception-parts.js';
import { createXceptionStats, STATS_FEATURE_LAYER, XCEPTION_STATS_CAM } from './xception-stats.js';

export { isModelName, MODEL_NAMES, type ModelName } from './names.js';

export interface ModelFactoryOptions {
  seed?: number;
  inputSize?: number;
}

export interface PretrainedLoadOptions {
  /** A local weights file or folder to use instead of the default source (`--weights FILE`). */
  weights?: string;
  /** Download progress, for weights that are fetched on first use. */
  onProgress?: (received: number, total: number | null) => void;
}

/** An ImageNet-pretrained backbone: how to load it, and where its pooled features come out. */
export interface PretrainedBackbone {
  /** What the weights are, as recorded in a run's params (e.g. 'imagenet:mobilenet_v1_0.75_224'). */
  source: string;
  /** The layer whose output is the pooled backbone feature vector [batch, F]; the layers after it are the head. */
  featureLayer: string;
  /**
   * The output layer of each backbone block, first to last: unfreezing the last K blocks cuts the model after
   * block N − K (the frozen trunk's output there is cached per image view).
   */
  blocks?: readonly string[];
  /** Puts the pretrained weights into every backbone layer of a model made by `create()`. */
  load(model: tf.LayersModel, options?: PretrainedLoadOptions): Promise<AssignResult>;
}

export interface ModelEntry {
  create(options?: ModelFactoryOptions): tf.LayersModel;
  /** Input side the model is trained at. */
  inputSize: number;
  /** The convolutional layer Grad-CAM uses by default. */
  camLayer: string;
  description: string;
  /** Present when the model starts from ImageNet weights (frozen-backbone fine-tuning is then possible). */
  pretrained?: PretrainedBackbone;
  /** Learning rate and epochs used when a request names none (else 0.001 and 5), chosen on validation data. */
  trainDefaults?: { lr: number; epochs: number };
  /** The strongest recipe found for this model (validation data only); the app offers it and the study runs it. */
  recommended?: RecommendedRecipe;
  /** Its head is one linear layer on standardised frozen features, so it can also be fitted in closed form (`--head-fit ridge`). */
  linearHead?: boolean;
  /** Why the backbone can only stay frozen (the head trains on cached features), when it cannot be fine-tuned. */
  frozenOnly?: string;
}

/** Keras's ImageNet Xception cut at block 12, its features read at `featureLayer` (the detectors of its 12 blocks). */
function xceptionToBlock12(featureLayer: string): PretrainedBackbone {
  return {
    source: 'imagenet:keras_xception_notop',
    featureLayer,
    blocks: XCEPTION_BLOCK_OUTPUTS.slice(0, 12),
    load: async (model, options = {}) => {
      const { loadXceptionImageNet } = await import('./pretrained/xception-weights.js');
      return loadXceptionImageNet(model, { ...options, featureLayer });
    },
  };
}

/**
 * The recipe of a linear head on many standardised frozen features (XceptionRegions, XceptionParts, XceptionStats):
 * strong decoupled decay, cosine decay, the checkpoint of the best validation AUC, test-time flips.
 */
const LINEAR_HEAD_RECIPE = {
  optimizer: 'AdamW',
  lr: 0.0001,
  epochs: 20,
  recipe: { weightDecay: 0.5, schedule: 'cosine', selectBy: 'auc', ttaFlip: true },
} as const satisfies Omit<RecommendedRecipe, 'why'>;

export const models = {
  SimpleNet: {
    create: (options = {}) => createSimpleNet(options),
    inputSize: 256,
    camLayer: 'conv3',
    description: "The course assignment's baseline small CNN: 3 conv 7×7 stages + MLP, trained from scratch",
  },
  Xception: {
    create: (options = {}) => createXception({ seed: options.seed, inputSize: options.inputSize }),
    inputSize: 299,
    camLayer: 'block14_sepconv2_act',
    description: "Keras's Xception with its 1000-class ImageNet top",
  },
  XceptionBased: {
    create: (options = {}) => createXceptionBased(options),
    inputSize: 256,
    camLayer: 'block14_sepconv2_act',
    description: 'Xception backbone + global average pooling + MLP head 2048→1000→256→64→2',
    pretrained: {
      source: 'imagenet:keras_xception_notop',
      featureLayer: 'avg_pool',
      blocks: XCEPTION_BLOCK_OUTPUTS,
      load: async (model, options = {}) => {
        // Keras's official no-top .h5: --weights FILE, else the user-data cache, else downloaded (resumable, md5-checked).
        const { loadXceptionImageNet } = await import('./pretrained/xception-weights.js');
        return loadXceptionImageNet(model, options);
      },
    },
  },
  XceptionRegions: {
    create: (options = {}) => createXceptionRegions(options),
    inputSize: 256,
    camLayer: XCEPTION_REGIONS_CAM,
    description:
      "Xception's ImageNet backbone to block 12 + channel means over a 4×4 grid of face regions of blocks 8, 10 and 12 (34,944-d, standardised) + a linear layer → 2: for face composites and swaps",
    // A linear head on 34,944 features needs strong decay; chosen on fakes_dataset's validation AUC (below).
    trainDefaults: { lr: 0.0001, epochs: 20 },
    recommended: {
      ...LINEAR_HEAD_RECIPE,
      why:
        'Best validation AUC on fakes_dataset among the recipes tried on the frozen backbone: AdamW lr 1e-4, weight decay 0.5, cosine, ' +
        'best checkpoint by validation AUC, test-time flips: 0.773 (lr 3e-5: 0.770; lr 1e-3 with decay 0.05: 0.764; SGD lr 0.01: 0.744).',
    },
    pretrained: xceptionToBlock12('region_pool'),
    linearHead: true,
  },
  XceptionParts: {
    create: (options = {}) => createXceptionParts(options),
    inputSize: 256,
    camLayer: XCEPTION_PARTS_CAM,
    description:
      "Xception's ImageNet backbone twice: a 4×4 grid of face regions of the whole image (blocks 8, 10, 12) and zoomed crops of the eyes, nose, mouth and cheeks " +
      'found by a face-landmark model (channel means and spreads of 7 blocks per part); 83,232 features, standardised, linear layer → 2: for face composites and swaps',
    trainDefaults: { lr: 0.0001, epochs: 20 },
    recommended: {
      ...LINEAR_HEAD_RECIPE,
      recipe: { ...LINEAR_HEAD_RECIPE.recipe, trainViews: 'mirror' },
      why:
        'Best validation AUC on fakes_dataset among the head recipes tried on its cached features (test-time flips): AdamW lr 1e-4, weight decay 0.5, ' +
        'cosine, best checkpoint by validation AUC, trained on each image and its mirror image: 0.803 (2 random crop + flip views instead: 0.798, ' +
        '40 epochs 0.800; lr 3e-5: 0.797; lr 3e-4: 0.797; weight decay 0.9: 0.798; 1 view per image: 0.793, picked at epoch 1; ' +
        'a closed-form ridge head: 0.799 on 2 random views, 0.798 on the mirror pair, 0.795 on the image alone). ' +
        'Chosen before it with 5-fold cross-validation on train+val: part crops and the region grid together 0.838, the grid alone 0.788.',
    },
    linearHead: true,
    frozenOnly: 'its part crops follow face landmarks found per image view, which only the cached-feature path carries',
    pretrained: {
      source: 'imagenet:keras_xception_notop',
      featureLayer: PARTS_FEATURE_LAYER,
      load: async (model, options = {}) => {
        const { loadXceptionPartsImageNet } = await import('./pretrained/xception-weights.js');
        return loadXceptionPartsImageNet(model, options);
      },
    },
  },
  XceptionStats: {
    create: (options = {}) => createXceptionStats(options),
    inputSize: 256,
    camLayer: XCEPTION_STATS_CAM,
    description:
      "Xception's ImageNet backbone to block 12 + the mean and standard deviation of every channel of blocks 2, 3, 4, 6, 8, 10 and 12 (8,048 features, standardised) + a linear layer → 2: for GAN faces",
    trainDefaults: { lr: 0.003, epochs: 20 },
    recommended: {
      // The optimizer and rate are not used: the head is solved in closed form.
      optimizer: 'Adam',
      lr: 0.003,
      epochs: 1,
      recipe: { headFit: 'ridge', selectBy: 'auc' },
      why:
        'Best validation AUC on synthetic_dataset among the head recipes tried on its cached features: a ridge head in closed form on 2 random crop + flip ' +
        'views per training image, no test-time flips: 0.976 (4 views: 0.972; with flips: 0.975; on the image and its mirror image: 0.975; on the image alone: 0.974; ' +
        'the best head trained by AdamW, lr 3e-3, weight decay 0.1, cosine, 20 epochs: 0.973). ' +
        'Chosen before it with 5-fold cross-validation on train+val: global mean+std of 7 blocks 0.978, the 4×4 region grid 0.963.',
    },
    pretrained: xceptionToBlock12(STATS_FEATURE_LAYER),
    linearHead: true,
  },
  MobileNetBased: {
    create: (options = {}) => createMobileNetBased(options),
    inputSize: 256,
    camLayer: MOBILENET_FEATURE_MAP,
    description:
      'ImageNet MobileNet v1 0.75 backbone (bundled, run at 256 px) + average and standard-deviation pooling of all 13 blocks (8928-d, standardised) + MLP head 8928→1000→256→64→2',
    // lr 1e-4 × 10 epochs reached val AUC 0.943 on synthetic_dataset (1e-3 × 2: 0.907); see main/study/jobs.ts.
    trainDefaults: { lr: 0.0001, epochs: 10 },
    pretrained: {
      source: 'imagenet:mobilenet_v1_0.75_224',
      featureLayer: MOBILENET_POOL,
      blocks: MOBILENET_BLOCK_OUTPUTS,
      load: async (model, options = {}) => {
        const { loadMobileNetImageNet } = await import('./pretrained/mobilenet-weights.js');
        return loadMobileNetImageNet(model, options.weights);
      },
    },
  },
  Bonus: {
    create: (options = {}) => createBonusNet(options),
    inputSize: 256,
    camLayer: BONUS_FEATURE_LAYER,
    description:
      'Compact from-scratch CNN for low-resource devices (56,098 params, 0.33 % of SimpleNet): 4×4 patch stem, a 3×3 conv and two depthwise-separable stages with batch norm, global average pooling → 2',
  },
} satisfies Record<ModelName, ModelEntry>;

/** A registry entry with every optional field visible to the type checker. */
export function modelEntry(name: ModelName): ModelEntry {
  return models[name];
}

/** Trainable parameter count, as PyTorch's sum(p.numel() for p in model.parameters() if p.requires_grad). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
