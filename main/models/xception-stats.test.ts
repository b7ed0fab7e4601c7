// XceptionStats: parameter count, the block statistics it pools, and its frozen split.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { splitModel } from '../train/model-split.js';
import { GlobalStdPooling2D } from './std-pool.js';
import { createXceptionStats, STATS_FEATURE_LAYER } from './xception-stats.js';

describe('XceptionStats', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('has Keras’s backbone to block 12 and an 8,048 → 2 linear head: 14,034,666 trainable parameters', () => {
    const m = createXceptionStats();
    try {
      const trainable = m.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
      assert.equal(trainable, 20_806_952 - 2_039_584 - 4_748_800 + 8048 * 2 + 2);
      assert.deepEqual(m.getLayer(STATS_FEATURE_LAYER).outputShape, [null, 2 * (128 + 256 + 5 * 728)]);
    } finally {
      m.dispose();
    }
  });

  it('pools each block’s channel means and standard deviations: block 2’s are those of its map', () => {
    const m = createXceptionStats({ seed: 2, widthDivisor: 8 });
    try {
      const x = tf.randomNormal([2, 256, 256, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const probe = tf.model({
        inputs: m.inputs,
        outputs: [m.getLayer('add').output as tf.SymbolicTensor, m.getLayer(STATS_FEATURE_LAYER).output as tf.SymbolicTensor],
      });
      const [map, stats] = probe.predict(x) as [tf.Tensor4D, tf.Tensor2D];
      const c = map.shape[3];
      const { mean, variance } = tf.moments(map, [1, 2]);
      const expected = tf.concat([mean, tf.sqrt(tf.add(variance, 1e-6))], 1).dataSync();
      const got = tf.slice(stats, [0, 0], [2, 2 * c]).dataSync();
      expected.forEach((v, i) => assert.ok(Math.abs(v - got[i]!) < 1e-4 * Math.max(1, Math.abs(v)), `stat ${i}: ${got[i]} vs ${v}`));
      // Frozen at the pooled statistics, only the standardisation and the linear layer are left to train.
      const split = splitModel(m, STATS_FEATURE_LAYER);
      assert.deepEqual(
        split.part.layers
          .filter((l) => l.weights.length > 0)
          .map((l) => l.name)
          .sort(),
        ['feature_norm', 'head_fc1'],
      );
      assert.ok(m.layers.some((l) => l instanceof GlobalStdPooling2D));
      split.dispose();
    } finally {
      m.dispose();
    }
  });
});
