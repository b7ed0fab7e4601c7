// Turns a loader batch into TensorFlow.js tensors (the only file of the data module that imports tfjs).
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, CHANNELS } from './types.js';
import type { Batch } from './loader.js';

export interface BatchTensors<Y extends tf.Tensor> {
  /** float32 [batch, 256, 256, 3] */
  xs: tf.Tensor4D;
  ys: Y;
}

/**
 * Tensors of a batch: xs float32 [batch, 256, 256, 3]; ys int32 [batch] ('int', default) or
 * float32 one-hot [batch, 2] ('onehot', column 0 = real, 1 = fake). The caller disposes them.
 */
export function batchToTensors(batch: Batch, labels?: 'int'): BatchTensors<tf.Tensor1D>;
export function batchToTensors(batch: Batch, labels: 'onehot'): BatchTensors<tf.Tensor2D>;
export function batchToTensors(batch: Batch, labels: 'int' | 'onehot' = 'int'): BatchTensors<tf.Tensor1D | tf.Tensor2D> {
  const xs = tf.tensor4d(batch.x, [batch.size, IMAGE_SIZE, IMAGE_SIZE, CHANNELS], 'float32');
  if (labels === 'int') return { xs, ys: tf.tensor1d(batch.labels, 'int32') };
  const hot = new Float32Array(batch.size * 2);
  batch.labels.forEach((label, i) => {
    hot[i * 2 + label] = 1;
  });
  return { xs, ys: tf.tensor2d(hot, [batch.size, 2], 'float32') };
}
