// tidyRead: the values of the tensor computed in its scope, with every tensor it made freed (also when it throws).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tidyRead } from './tidy-read.js';

describe('tidyRead', () => {
  it('returns the values of the computed tensor and frees it and its intermediates', () => {
    const before = tf.memory().numTensors;
    const values = tidyRead(() => tf.add(tf.mul(tf.tensor2d([1, 2, 3, 4], [2, 2]), 2), 0.5));
    assert.deepEqual(Array.from(values), [2.5, 4.5, 6.5, 8.5]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('frees what it made when the computation throws', () => {
    const before = tf.memory().numTensors;
    assert.throws(
      () =>
        tidyRead(() => {
          tf.ones([3]);
          throw new RangeError('shape mismatch');
        }),
      /shape mismatch/,
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
