// The tf.Variables behind a layers model's trainable weights, under the names its layers gave them.
import type * as tf from '@tensorflow/tfjs';

/**
 * [layer-given name (e.g. 'conv1/kernel'), variable] per trainable weight. The variable's own name gains a
 * suffix when another model with the same layer names exists in the process; the layer-given one does not.
 */
export function trainable(model: tf.LayersModel): [string, tf.Variable][] {
  return model.trainableWeights.map((w) => [w.originalName, (w as unknown as { val: tf.Variable }).val]);
}
