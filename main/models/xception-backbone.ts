// Xception's convolutional backbone (keras.applications.Xception without its top), shared by every Xception-based
// detector. Layers are created in Keras's order with Keras's names: Keras .h5 weights and checkpoints map onto them.
import * as tf from '@tensorflow/tfjs';

/** Keras's BatchNormalization defaults (tfjs's momentum means the same as Keras's: moving = m·moving + (1−m)·batch). */
const BN = { axis: -1, momentum: 0.99, epsilon: 1e-3 } as const;

export interface Resolved {
  size: number;
  divisor: number;
  seed: number | undefined;
}

export function resolve(model: string, inputSize: number, widthDivisor: number, seed: number | undefined): Resolved {
  if (!Number.isInteger(inputSize) || inputSize < 71) {
    throw new RangeError(`${model} inputSize must be an integer ≥ 71, got ${inputSize}`);
  }
  if (!Number.isFinite(widthDivisor) || widthDivisor < 1) {
    throw new RangeError(`${model} widthDivisor must be a finite number ≥ 1, got ${widthDivisor}`);
  }
  if (seed != null && !Number.isFinite(seed)) throw new RangeError(`${model} seed must be a finite number, got ${seed}`);
  return { size: inputSize, divisor: widthDivisor, seed };
}

export interface BackboneCut {
  /** 12: stop after the middle flow (blocks 13–14 are not built). */
  lastBlock?: 12 | 14;
  /** Receives each built block's output, in block order (see XCEPTION_BLOCK_OUTPUTS). */
  blockOutputs?: tf.SymbolicTensor[];
  /** Prepended to every layer name. */
  prefix?: string;
}

const suffix = (i: number): string => (i === 0 ? '' : `_${i}`);

/**
 * Xception's layer kinds, each creating and applying its layers. It holds the state that makes names and seeds
 * match Keras's fresh session: the running initialiser offset (each layer draws from its own offset of the seed)
 * and the counters of Keras's unnamed shortcut convolutions and additions.
 */
class XceptionLayers {
  private layerIndex = 0;
  private shortcutIndex = 0;
  private addIndex = 0;

  constructor(
    private readonly r: Resolved,
    private readonly cut: BackboneCut,
  ) {}

  /** A backbone width divided by `widthDivisor` (rounded, at least 1). */
  private ch(c: number): number {
    return Math.max(1, Math.round(c / this.r.divisor));
  }

  // A second copy of the backbone in one model (XceptionParts' part branch) needs its own layer names.
  private named<const T extends { name: string }>(config: T): T {
    return { ...config, name: `${this.cut.prefix ?? ''}${config.name}` };
  }

  /** Keras's default glorot_uniform, at this layer's offset of the seed. */
  private init(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.r.seed == null ? undefined : this.r.seed * 1009 + ++this.layerIndex });
  }

  private apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    return layer.apply(x) as tf.SymbolicTensor;
  }

  /** Block 1's valid 3×3 conv (the first one strided) → BN → ReLU. */
  conv(x: tf.SymbolicTensor, name: string, filters: number): tf.SymbolicTensor {
    const strides = name === 'block1_conv1' ? 2 : 1;
    const config = { name, filters: this.ch(filters), kernelSize: 3, strides, padding: 'valid', useBias: false, kernelInitializer: this.init() } as const;
    x = this.apply(tf.layers.conv2d(this.named(config)), x);
    x = this.apply(tf.layers.batchNormalization(this.named({ name: `${name}_bn`, ...BN })), x);
    return this.apply(tf.layers.activation(this.named({ name: `${name}_act`, activation: 'relu' })), x);
  }

  relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return this.apply(tf.layers.activation(this.named({ name, activation: 'relu' })), x);
  }

  /** SeparableConv2D 3×3 same, no bias → BatchNormalization; no activation. */
  sepconvBn(x: tf.SymbolicTensor, name: string, filters: number): tf.SymbolicTensor {
    const depthwiseInitializer = this.init();
    const pointwiseInitializer = this.init();
    const config = { name, filters: this.ch(filters), kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer, pointwiseInitializer } as const;
    x = this.apply(tf.layers.separableConv2d(this.named(config)), x);
    return this.apply(tf.layers.batchNormalization(this.named({ name: `${name}_bn`, ...BN })), x);
  }

  /** Keras's unnamed 1×1 stride-2 conv + BN shortcut (`conv2d`, `conv2d_1`, … and `batch_normalization`, …). */
  shortcut(x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor {
    const i = this.shortcutIndex++;
    const config = {
      name: `conv2d${suffix(i)}`,
      filters: this.ch(filters),
      kernelSize: 1,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: this.init(),
    } as const;
    x = this.apply(tf.layers.conv2d(this.named(config)), x);
    return this.apply(tf.layers.batchNormalization(this.named({ name: `batch_normalization${suffix(i)}`, ...BN })), x);
  }

  /** A residual addition (`add`, `add_1`, …): the output of blocks 2–13. */
  add(a: tf.SymbolicTensor, b: tf.SymbolicTensor): tf.SymbolicTensor {
    const sum = this.apply(tf.layers.add(this.named({ name: `add${suffix(this.addIndex++)}` })), [a, b]);
    this.blockOutput(sum);
    return sum;
  }

  pool(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return this.apply(tf.layers.maxPooling2d(this.named({ name, poolSize: 3, strides: 2, padding: 'same' })), x);
  }

  blockOutput(x: tf.SymbolicTensor): void {
    this.cut.blockOutputs?.push(x);
  }
}

/** Blocks 1–4: two plain convs, then three strided blocks with conv shortcuts (128, 256, 728 channels). */
function entryFlow(L: XceptionLayers, input: tf.SymbolicTensor): tf.SymbolicTensor {
  let x = L.conv(input, 'block1_conv1', 32);
  x = L.conv(x, 'block1_conv2', 64);
  L.blockOutput(x);

  // block2: no ReLU before its first separable conv (block1 already ended with one).
  let residual = L.shortcut(x, 128);
  x = L.sepconvBn(x, 'block2_sepconv1', 128);
  x = L.relu(x, 'block2_sepconv2_act');
  x = L.sepconvBn(x, 'block2_sepconv2', 128);
  x = L.pool(x, 'block2_pool');
  x = L.add(x, residual);

  for (const [block, filters] of [
    [3, 256],
    [4, 728],
  ] as const) {
    residual = L.shortcut(x, filters);
    x = L.relu(x, `block${block}_sepconv1_act`);
    x = L.sepconvBn(x, `block${block}_sepconv1`, filters);
    x = L.relu(x, `block${block}_sepconv2_act`);
    x = L.sepconvBn(x, `block${block}_sepconv2`, filters);
    x = L.pool(x, `block${block}_pool`);
    x = L.add(x, residual);
  }
  return x;
}

/** Blocks 5–12: 8 identity-shortcut blocks of three ReLU → sepconv → BN (728 channels). */
function middleFlow(L: XceptionLayers, x: tf.SymbolicTensor): tf.SymbolicTensor {
  for (let block = 5; block <= 12; block++) {
    const residual = x;
    for (let k = 1; k <= 3; k++) {
      x = L.relu(x, `block${block}_sepconv${k}_act`);
      x = L.sepconvBn(x, `block${block}_sepconv${k}`, 728);
    }
    x = L.add(x, residual);
  }
  return x;
}

/** Block 13 (728→1024, halves the side, conv shortcut) and block 14 (1536, 2048), ending at `block14_sepconv2_act`. */
function exitFlow(L: XceptionLayers, x: tf.SymbolicTensor): tf.SymbolicTensor {
  const residual = L.shortcut(x, 1024);
  x = L.relu(x, 'block13_sepconv1_act');
  x = L.sepconvBn(x, 'block13_sepconv1', 728);
  x = L.relu(x, 'block13_sepconv2_act');
  x = L.sepconvBn(x, 'block13_sepconv2', 1024);
  x = L.pool(x, 'block13_pool');
  x = L.add(x, residual);

  // block14: ReLU after each separable conv + BN, not before.
  x = L.sepconvBn(x, 'block14_sepconv1', 1536);
  x = L.relu(x, 'block14_sepconv1_act');
  x = L.sepconvBn(x, 'block14_sepconv2', 2048);
  x = L.relu(x, 'block14_sepconv2_act');
  L.blockOutput(x);
  return x;
}

/**
 * The Keras graph from the input to `block14_sepconv2_act`. Layers are created in Keras's order, so the
 * residual shortcuts get Keras's fresh-session names: `conv2d`, `conv2d_1`, `conv2d_2`, `conv2d_3` and
 * `batch_normalization` … `batch_normalization_3`; the additions are `add` … `add_11`.
 *
 * [b, s, s, 3] → block1 (two valid 3×3 convs, the first strided) [b, s₁, s₁, 64] → blocks 2–4 (entry flow,
 * each halving the side: 128, 256, 728 channels) → blocks 5–12 (middle flow, 728) → block13 (728→1024, halves)
 * → block14 (1536, 2048) [b, h, w, 2048] (h = w = 8 at 256 px, 10 at 299 px, 3 at the 71 px minimum).
 */
export function xceptionBackbone(input: tf.SymbolicTensor, r: Resolved, cut: BackboneCut = {}): tf.SymbolicTensor {
  const L = new XceptionLayers(r, cut);
  const x = middleFlow(L, entryFlow(L, input));
  return cut.lastBlock === 12 ? x : exitFlow(L, x);
}
