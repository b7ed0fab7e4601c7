// One optimisation step of a classifier: forward, softmax cross-entropy, backward, optimizer update.
import * as tf from '@tensorflow/tfjs';
import { trainable } from './variables.js';
import type { FusedOptimizer } from './optimizers.js';

export interface StepResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Correct argmax predictions in the batch. */
  correct: number;
}

/**
 * xs: the model's input, [batch, H, W, 3] normalised images (or the cached cut tensors of a model's trainable
 * part); labels [batch] int32 (0 real, 1 fake). `training` false runs batch-norm layers in inference mode
 * (unfrozen backbone blocks keep their ImageNet statistics). Reads back only two scalars,
 * so the step costs one host sync; every intermediate tensor is freed.
 */
export function trainStep(model: tf.LayersModel, optimizer: FusedOptimizer, xs: tf.Tensor | tf.Tensor[], labels: tf.Tensor1D, training = true): StepResult {
  const variables = trainable(model).map(([, v]) => v);
  const { loss, correct } = tf.tidy(() => {
    const onehot = tf.oneHot(labels, 2);
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(xs, { training }) as tf.Tensor2D;
      // variableGrads frees everything made in here except what is kept.
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'))) as tf.Scalar;
      return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
    }, variables);
    optimizer.applyGradients(variables, grads);
    return { loss: value, correct: hits! };
  });
  const [lossValue, correctValue] = [loss.dataSync()[0]!, correct.dataSync()[0]!];
  tf.dispose([loss, correct]);
  return { loss: lossValue, correct: correctValue };
}
