// SimpleNet, the seed's small CNN: three 7×7 conv + max-pool stages and a three-layer MLP (16,901,762 params).
import * as tf from '@tensorflow/tfjs';
import { torchDefaultInit } from './init.js';

export interface SimpleNetOptions {
  /** Input side in pixels; the seed uses 256 (the dense layer's width depends on it). */
  inputSize?: number;
  /** Seed for the weight initialisation; omit for a random start. */
  seed?: number;
}

/**
 * conv 7×7 3→6, ReLU, max-pool 2 → conv 7×7 6→16, ReLU, max-pool 2 → conv 7×7 16→24, ReLU, max-pool 2 →
 * flatten (24·26·26 = 16224 at 256 px) → dense 1024, ReLU → dense 256, ReLU → dense 2 (logits).
 *
 * Input [batch, 256, 256, 3] (normalised RGB), output logits [batch, 2] (index 1 = fake).
 * Layer names `conv1`…`conv3` are the Grad-CAM targets.
 */
export function createSimpleNet(options: SimpleNetOptions = {}): tf.LayersModel {
  const size = options.inputSize ?? 256;
  if (!Number.isInteger(size) || size < 64) throw new RangeError(`SimpleNet inputSize must be an integer ≥ 64, got ${size}`);
  const seed = options.seed;
  const at = (k: number): number | undefined => (seed == null ? undefined : seed * 101 + k);
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  const channels = [3, 6, 16, 24];
  for (let i = 1; i <= 3; i++) {
    x = tf.layers
      .conv2d({
        name: `conv${i}`,
        filters: channels[i]!,
        kernelSize: 7,
        padding: 'valid',
        activation: 'relu',
        ...torchDefaultInit(channels[i - 1]! * 49, at(i)),
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: `pool${i}`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  }
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  let h = flat;
  const widths = [1024, 256];
  let fanIn = flat.shape[1]!;
  widths.forEach((units, i) => {
    h = tf.layers.dense({ name: `fc${i + 1}`, units, activation: 'relu', ...torchDefaultInit(fanIn, at(10 + i)) }).apply(h) as tf.SymbolicTensor;
    fanIn = units;
  });
  const logits = tf.layers.dense({ name: 'logits', units: 2, ...torchDefaultInit(fanIn, at(20)) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'SimpleNet' });
}
