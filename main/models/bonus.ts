// Bonus: a compact real-vs-fake face CNN (≤ 1 % of SimpleNet's parameters) for low-resource, CPU-only inference.
import * as tf from '@tensorflow/tfjs';
import { FastBatchNorm } from './batch-norm.js';

/**
 * One stage: output channels, stride, 'conv' (full 3×3 convolution) or 'sep' (depthwise 3×3 → pointwise 1×1,
 * MobileNet v1 style), and whether each convolution is followed by batch normalisation (else it has a bias).
 */
export type BonusStage = readonly [filters: number, stride: 1 | 2, kind: 'conv' | 'sep', bn: boolean];

/** An architecture of the Bonus family: the design variants that were compared are values of this. */
export interface BonusSpec {
  /** The stem convolution: channels, kernel side (= stride: 2 → 3×3/2 'same'; 4 → 4×4/4 patches), whether it is batch-normalised. */
  stem: readonly [filters: number, stride: 2 | 4, bn: boolean];
  stages: readonly BonusStage[];
}

export interface BonusOptions {
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
  /** Input side in pixels (default 256; any side ≥ 32 works, the head follows global pooling). */
  inputSize?: number;
  /** Architecture; defaults to {@link BONUS_SPEC}, the chosen design. */
  spec?: BonusSpec;
}

/*
 * How the design was chosen — train and validation splits of fakes_dataset only (test untouched until the end):
 * each variant trained with `unmask train -d fakes_dataset -m Bonus --lr 0.001 -b 32 -o Adam --seed 0` on the
 * wasm engine (2 CPU cores shared with other jobs), epochs set so each training takes under ~5 minutes; val AUC
 * from `unmask score --split val` on the best-val-accuracy checkpoint (the one `score` and `reproduce` use).
 *
 * | variant | what                                                      | params | epochs (s) | best val acc | val AUC (last epoch) |
 * | ------- | --------------------------------------------------------- | ------ | ---------- | ------------ | -------------------- |
 * | plain   | 3×3/2 stem 16, conv 32/2, conv 64/2, sep 128/2, sep 160;  | 54,786 | 5 (333)    | 54.64 % (e1) | 0.486                |
 * |         | no normalisation (biases); never left the constant output |        |            |              |                      |
 * | bn      | the same with BN after every convolution (stem then       | 55,378 | 3 (271)    | 54.64 % (e1) | 0.543 (e3: 0.562)    |
 * |         | conv → BN → ReLU); 128×128 stem maps make it 1.6× slower  |        |            |              |                      |
 * | patch   | 4×4/4 patch stem 32 → ReLU → BN, conv 64/2, sep 128/2,    | 56,098 | 5 (255)    | 54.98 % (e3) | 0.591 (e5: 0.450)    |
 * |         | sep 192, BN everywhere: 64×64 stem maps, 30 img/s         |        |            |              |                      |
 *
 * Chosen: `patch` (highest val AUC, and the cheapest to train, so the most epochs fit the budget). The per-stage
 * speeds were screened beforehand on random batches: BN at full resolution, and tfjs's own batchNormalization
 * anywhere, cost more than the convolutions (hence {@link FastBatchNorm} and BN-free 128×128 maps).
 */

/** Variants compared while designing (see the table above); `patch` is {@link BONUS_SPEC}. */
export const BONUS_VARIANTS = {
  plain: {
    stem: [16, 2, false],
    stages: [
      [32, 2, 'conv', false],
      [64, 2, 'conv', false],
      [128, 2, 'sep', false],
      [160, 1, 'sep', false],
    ],
  },
  bn: {
    stem: [16, 2, true],
    stages: [
      [32, 2, 'conv', true],
      [64, 2, 'conv', true],
      [128, 2, 'sep', true],
      [160, 1, 'sep', true],
    ],
  },
  patch: {
    stem: [32, 4, true],
    stages: [
      [64, 2, 'conv', true],
      [128, 2, 'sep', true],
      [192, 1, 'sep', true],
    ],
  },
} as const satisfies Record<string, BonusSpec>;

/** The chosen design: 4×4/4 patch stem, one 3×3 conv stage and two depthwise-separable stages, all batch-normalised. */
export const BONUS_SPEC: BonusSpec = BONUS_VARIANTS.patch;

/** The last feature map ([b, h, w, C], before global pooling): Grad-CAM's default layer. */
export const BONUS_FEATURE_LAYER = 'features';

/** PyTorch's BatchNorm2d defaults (tfjs momentum 0.9 = torch 0.1): moving statistics settle within a short training. */
const BN = { momentum: 0.9, epsilon: 1e-5 } as const;

/** The options with their defaults, checked before any layer is built. */
function resolveBonus(options: BonusOptions): { size: number; seed: number | undefined; spec: BonusSpec } {
  const size = options.inputSize ?? 256;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`Bonus inputSize must be an integer ≥ 32, got ${size}`);
  const seed = options.seed;
  if (seed != null && !Number.isFinite(seed)) throw new RangeError(`Bonus seed must be a finite number, got ${seed}`);
  const spec = options.spec ?? BONUS_SPEC;
  if (spec.stages.length === 0) throw new RangeError('Bonus spec needs at least one stage');
  return { size, seed, spec };
}

/**
 * The stem. Its ReLU is fused into its convolution (so BN, if any, follows the ReLU): tfjs then differentiates it
 * as a plain conv2d, which skips the gradient with respect to the image; a linear fused conv computes it eagerly.
 */
function stem(
  input: tf.SymbolicTensor,
  [stemFilters, stemStride, stemBn]: BonusSpec['stem'],
  init: () => ReturnType<typeof tf.initializers.heNormal>,
): tf.SymbolicTensor {
  let x = tf.layers
    .conv2d({
      name: 'stem',
      filters: stemFilters,
      kernelSize: stemStride === 2 ? 3 : 4,
      strides: stemStride,
      padding: stemStride === 2 ? 'same' : 'valid',
      activation: 'relu',
      kernelInitializer: init(),
      biasInitializer: 'zeros',
    })
    .apply(input) as tf.SymbolicTensor;
  if (stemBn) x = new FastBatchNorm({ name: 'stem_bn', ...BN }).apply(x) as tf.SymbolicTensor;
  return x;
}

/**
 * stem conv (3×3/2 'same', or 4×4/4 patches) with ReLU → [BN], then per stage one 'conv' block
 * (conv 3×3 → [BN] → ReLU) or 'sep' block (depthwise 3×3 → [BN] → ReLU → pointwise 1×1 → [BN] → ReLU); the
 * last ReLU is the `features` layer; global average pooling → dense 2 (logits). A convolution without BN has a bias.
 *
 * Input [batch, s, s, 3] (normalised RGB; s = 256), output logits [batch, 2] (index 1 = fake).
 * Default spec at 256 px: stem [b, 64, 64, 32] → b1 [b, 32, 32, 64] → b2 [b, 16, 16, 128] → b3 = `features`
 * [b, 16, 16, 192] → pool [b, 192] → logits [b, 2]; 56,098 trainable parameters.
 * Layer names: `stem`, [`stem_bn`]; per stage i `b{i}_conv`, or `b{i}_dw` and `b{i}_pw`, each followed by
 * [`…_bn`] and `…_relu`, except the last ReLU, `features`; then `pool`, `logits`.
 * Kernels use He-normal initialisation, each layer from its own offset of `seed`; biases and BN β start at 0, γ at 1.
 */
export function createBonusNet(options: BonusOptions = {}): tf.LayersModel {
  const { size, seed, spec } = resolveBonus(options);
  let layerIndex = 0;
  const init = () => tf.initializers.heNormal({ seed: seed == null ? undefined : seed * 1021 + ++layerIndex });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;
  /** conv (or depthwise) `name` → [name_bn] → ReLU named `reluName`. */
  const unit = (x: tf.SymbolicTensor, name: string, bn: boolean, reluName: string, conv: (useBias: boolean) => tf.layers.Layer): tf.SymbolicTensor => {
    x = apply(conv(!bn), x);
    if (bn) x = apply(new FastBatchNorm({ name: `${name}_bn`, ...BN }), x);
    return apply(tf.layers.activation({ name: reluName, activation: 'relu' }), x);
  };
  const conv = (name: string, filters: number, kernelSize: number, strides: number) => (useBias: boolean) =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias, kernelInitializer: init(), biasInitializer: 'zeros' });

  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  let x = stem(input, spec.stem, init);
  spec.stages.forEach(([filters, stride, kind, bn], i) => {
    const id = `b${i + 1}`;
    const last = i === spec.stages.length - 1;
    if (kind === 'sep') {
      const depthwise = (useBias: boolean) =>
        tf.layers.depthwiseConv2d({
          name: `${id}_dw`,
          kernelSize: 3,
          strides: stride,
          padding: 'same',
          useBias,
          depthwiseInitializer: init(),
          biasInitializer: 'zeros',
        });
      x = unit(x, `${id}_dw`, bn, `${id}_dw_relu`, depthwise);
      x = unit(x, `${id}_pw`, bn, last ? BONUS_FEATURE_LAYER : `${id}_pw_relu`, conv(`${id}_pw`, filters, 1, 1));
    } else {
      x = unit(x, `${id}_conv`, bn, last ? BONUS_FEATURE_LAYER : `${id}_relu`, conv(`${id}_conv`, filters, 3, stride));
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const logits = apply(
    tf.layers.dense({
      name: 'logits',
      units: 2,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed == null ? undefined : seed * 1021 + 999 }),
      biasInitializer: 'zeros',
    }),
    x,
  );
  return tf.model({ inputs: input, outputs: logits, name: 'Bonus' });
}
