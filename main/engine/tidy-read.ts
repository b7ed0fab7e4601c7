// Reading a tensor computed in a tidy scope back to the host, without handing the host array to tf.tidy.
import * as tf from '@tensorflow/tfjs';

/**
 * Runs `compute` in a tidy scope and returns its result's values; every tensor it made is freed. tf.tidy walks
 * whatever its callback returns, index by index, looking for tensors: returning `dataSync()`'s typed array from
 * the callback cost about 0.8 µs per value (10 of XceptionParts' 65 s of feature extraction, 83,232 values per view).
 */
export function tidyRead(compute: () => tf.Tensor): Float32Array {
  const result = tf.tidy(compute);
  try {
    return result.dataSync() as Float32Array;
  } finally {
    result.dispose();
  }
}
