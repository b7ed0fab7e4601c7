// Splitting a detector at a block: what freezes, the cut's loss against a full forward pass, and one training step.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { createMobileNetBased, MOBILENET_BLOCK_OUTPUTS } from '../models/mobilenet.js';
import { createXceptionBased, XCEPTION_BLOCK_OUTPUTS } from '../models/xception.js';
import { frontierTensors, splitModel, trunkOutputs } from './model-split.js';
import { FusedOptimizer } from './optimizers.js';
import { trainStep } from './step.js';

const loss = (logits: tf.Tensor, labels: tf.Tensor1D): number => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 2), logits).dataSync()[0]!);

/** Random moving statistics, so inference-mode batch norm is not the identity and a wrong mode shows. */
function randomiseBatchNorms(model: tf.LayersModel): void {
  let seed = 11;
  for (const layer of model.layers) {
    if (!layer.name.endsWith('_bn') && !layer.name.startsWith('batch_normalization')) continue;
    const weights = layer.getWeights();
    layer.setWeights(
      weights.map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', seed++) : tf.randomNormal(w.shape, 0, 0.2, 'float32', seed++))),
    );
  }
}

describe('splitModel', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('MobileNetBased cut after block 11: the last two blocks and the head train, the block statistics before the cut are cached', () => {
    const model = createMobileNetBased({ seed: 1, inputSize: 64 });
    const split = splitModel(model, MOBILENET_BLOCK_OUTPUTS[10]!);
    try {
      assert.ok(split.frozen.has('conv_pw_11_relu') && split.frozen.has('pool_pw_11') && split.frozen.has('std_pw_3'));
      assert.ok(!split.frozen.has('conv_dw_12') && !split.frozen.has('pool_pw_12') && !split.frozen.has('head_fc1'));
      // conv_pw_11_relu [4, 4, 384] plus 22 pooled statistics of blocks 1–11.
      assert.equal(split.shapes.length, 23);
      assert.deepEqual(split.shapes[0], [4, 4, 384]);
      const stats = 2 * [48, 96, 96, 192, 192, 384, 384, 384, 384, 384, 384].reduce((a, b) => a + b, 0);
      assert.equal(split.dim, 4 * 4 * 384 + stats);
      const names = new Set(split.part.trainableWeights.map((w) => w.originalName.split('/')[0]));
      assert.deepEqual([...names].sort(), [
        'conv_dw_12',
        'conv_dw_12_bn',
        'conv_dw_13',
        'conv_dw_13_bn',
        'conv_pw_12',
        'conv_pw_12_bn',
        'conv_pw_13',
        'conv_pw_13_bn',
        'head_fc1',
        'head_fc2',
        'head_fc3',
        'head_fc4',
      ]);
    } finally {
      split.dispose();
      model.dispose();
    }
  });

  for (const [name, create, cut] of [
    ['MobileNetBased', () => createMobileNetBased({ seed: 2, inputSize: 64 }), MOBILENET_BLOCK_OUTPUTS[11]!],
    ['XceptionBased', () => createXceptionBased({ seed: 2, inputSize: 71, widthDivisor: 16 }), XCEPTION_BLOCK_OUTPUTS[11]!],
  ] as const) {
    it(`${name}: the loss from cached cut tensors equals a full forward pass (to 1e-5)`, () => {
      const model = create();
      randomiseBatchNorms(model);
      const split = splitModel(model, cut);
      const size = model.inputs[0]!.shape[1]!;
      const xs = tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 7);
      const labels = tf.tensor1d([0, 1, 1], 'int32');
      try {
        const full = loss(model.predict(xs) as tf.Tensor, labels);
        const cached = tf.tidy(() => {
          const flat = trunkOutputs(split.trunk, xs).dataSync() as Float32Array;
          return loss(split.part.predict(frontierTensors(split, 3, flat)) as tf.Tensor, labels);
        });
        assert.ok(Math.abs(full - cached) <= 1e-5, `${full} vs ${cached}`);
      } finally {
        tf.dispose([xs, labels]);
        split.dispose();
        model.dispose();
      }
    });
  }

  it('one step on the cut tensors changes every trainable weight and leaves every frozen one byte-identical', () => {
    const model = createMobileNetBased({ seed: 3, inputSize: 64 });
    randomiseBatchNorms(model);
    const split = splitModel(model, MOBILENET_BLOCK_OUTPUTS[11]!);
    const before = new Map(model.weights.map((w) => [w.originalName, Buffer.from((w.read().dataSync() as Float32Array).slice().buffer)]));
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
    const xs = tf.randomNormal([4, 64, 64, 3], 0, 1, 'float32', 9);
    const labels = tf.tensor1d([0, 1, 0, 1], 'int32');
    try {
      const cut = tf.tidy(() => trunkOutputs(split.trunk, xs).dataSync() as Float32Array);
      const inputs = frontierTensors(split, 4, cut);
      trainStep(split.part, optimizer, inputs, labels, false);
      tf.dispose(inputs);
      const trainable = new Set(split.part.trainableWeights.map((w) => w.originalName));
      let changed = 0;
      for (const w of model.weights) {
        const same = Buffer.from((w.read().dataSync() as Float32Array).slice().buffer).equals(before.get(w.originalName)!);
        if (trainable.has(w.originalName)) {
          assert.ok(!same, `${w.originalName} did not change`);
          changed++;
        } else assert.ok(same, `${w.originalName} changed but is frozen`);
      }
      assert.equal(changed, trainable.size);
      // Inference-mode steps leave the unfrozen blocks' moving statistics alone too.
      assert.ok(model.weights.some((w) => w.originalName === 'conv_pw_13_bn/moving_mean' && !trainable.has(w.originalName)));
    } finally {
      tf.dispose([xs, labels]);
      optimizer.dispose();
      split.dispose();
      model.dispose();
    }
  });

  it('refuses a cut that leaves nothing to train', () => {
    const model = createMobileNetBased({ seed: 4, inputSize: 64 });
    try {
      assert.throws(() => splitModel(model, 'head_fc4'), /leaves nothing to train/);
    } finally {
      model.dispose();
    }
  });
});
