// Xception against keras.applications.Xception: parameter counts, Keras layer names, output shapes.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { createXception, createXceptionBased, createXceptionRegions, XCEPTION_BLOCK_OUTPUTS } from './xception.js';
import { models } from './registry.js';
import { splitModel } from '../train/model-split.js';
import { cutForUnfreeze } from '../train/recipe.js';

function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

function withModel<T>(model: tf.LayersModel, f: (m: tf.LayersModel) => T): T {
  try {
    return f(model);
  } finally {
    model.dispose();
  }
}

describe('Xception', () => {
  // The pure-JS cpu backend takes tens of seconds per 256 px forward pass; the wasm engine does it in seconds.
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('has Keras Xception’s 22,855,952 trainable parameters at 299 px with the top', () => {
    withModel(createXception(), (m) => {
      assert.equal(trainableParams(m), 22_855_952);
      // Keras: total 22,910,480 = trainable + 2 × 27,264 BN moving statistics (40 BNs over 27,264 channels).
      assert.equal(m.countParams(), 22_910_480);
      assert.deepEqual(m.outputs[0]!.shape, [null, 1000]);
    });
  });

  it('has 23,128,786 trainable parameters as XceptionBased', () => {
    withModel(createXceptionBased(), (m) => {
      assert.equal(trainableParams(m), 23_128_786);
      assert.deepEqual(m.outputs[0]!.shape, [null, 2]);
    });
  });

  it('trains 9,110,218 parameters with --unfreeze-blocks 2 (blocks 13–14 + head; bench/torch_xception.py counts the same)', () => {
    withModel(createXceptionBased(), (m) => {
      const split = splitModel(m, cutForUnfreeze(models.XceptionBased, 'XceptionBased', 2));
      try {
        assert.equal(trainableParams(split.part), 9_110_218);
        assert.deepEqual(split.shapes, [[16, 16, 728]]);
      } finally {
        split.dispose();
      }
    });
  });

  it('has 14,088,458 trainable parameters as XceptionRegions: Keras’s backbone to block 12 and a 34,944 → 2 linear head', () => {
    withModel(createXceptionRegions(), (m) => {
      // Keras's no-top Xception trains 20,806,952; blocks 13 (2,039,584) and 14 (4,748,800) are not built.
      assert.equal(trainableParams(m), 20_806_952 - 2_039_584 - 4_748_800 + 34_944 * 2 + 2);
      assert.deepEqual(m.getLayer('region_pool').outputShape, [null, 3 * 16 * 728]);
      assert.deepEqual(m.getLayer('add_10').outputShape, [null, 16, 16, 728]);
      assert.ok(!m.layers.some((l) => l.name.startsWith('block13') || l.name.startsWith('block14')));
      assert.deepEqual(m.outputs[0]!.shape, [null, 2]);
    });
  });

  it('names the 14 block outputs as the cut points of partial unfreezing', () => {
    withModel(createXception({ widthDivisor: 16, inputSize: 71 }), (m) => {
      assert.equal(XCEPTION_BLOCK_OUTPUTS.length, 14);
      const shapes = XCEPTION_BLOCK_OUTPUTS.map((name) => (m.getLayer(name).outputShape as number[]).slice(1));
      assert.deepEqual(shapes[0], [33, 33, 4]); // block 1 (two valid 3×3 convs, the first strided)
      assert.deepEqual(shapes[11], [5, 5, 46]); // block 12: the middle flow's last residual sum
      assert.deepEqual(shapes[13], [3, 3, 128]); // block 14
    });
  });

  it('uses Keras’s layer names and layer structure', () => {
    withModel(createXception({ widthDivisor: 16 }), (m) => {
      const names = m.layers.map((l) => l.name);
      for (const name of [
        'block1_conv1',
        'block1_conv1_bn',
        'block1_conv2_act',
        'block2_sepconv1',
        'block2_sepconv2_act',
        'block2_sepconv2_bn',
        'block2_pool',
        'block3_sepconv1_act',
        'block12_sepconv3_bn',
        'block13_sepconv2',
        'block14_sepconv1_act',
        'block14_sepconv2_act',
        'conv2d',
        'conv2d_3',
        'batch_normalization',
        'batch_normalization_3',
        'add',
        'add_11',
        'avg_pool',
        'predictions',
      ]) {
        assert.ok(names.includes(name), `missing layer ${name}`);
      }
      // Block 2's first separable conv has no ReLU in front; blocks 3–13 do, block 14's come after.
      assert.ok(!names.includes('block2_sepconv1_act'));
      assert.ok(!names.includes('block14_sepconv2_act_1'));
      assert.equal(new Set(names).size, names.length);
      // Keras: 134 layers with the top (input, 6 in block 1, 9 in block 2, 10 each in blocks 3, 4, 5–12 and 13,
      // 6 in block 14, avg_pool and predictions); 81 of them with weights: 6 conv2d + 34 separable + 40 BN + 1 dense.
      assert.equal(m.layers.length, 134);
      const weighted = m.layers.filter((l) => l.weights.length > 0);
      assert.equal(weighted.length, 81);
      assert.equal(m.layers.filter((l) => l.getClassName() === 'SeparableConv2D').length, 34);
      assert.equal(m.layers.filter((l) => l.getClassName() === 'Conv2D').length, 6);
      assert.equal(m.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 40);
      // Weight tensors: 6 conv kernels + 34 × (depthwise, pointwise) + 40 × 4 BN + dense kernel and bias.
      assert.equal(m.weights.length, 236);
      assert.equal(m.trainableWeights.length, 156);
    });
    // Full width: the residual convs come in Keras's creation order (128, 256, 728, 1024 filters), no biases.
    withModel(createXception({ includeTop: false, inputSize: 71 }), (m) => {
      assert.equal(m.layers.length, 132);
      const filters = ['conv2d', 'conv2d_1', 'conv2d_2', 'conv2d_3'].map((n) =>
        m
          .getLayer(n)
          .getWeights()
          .map((w) => w.shape),
      );
      assert.deepEqual(filters, [[[1, 1, 64, 128]], [[1, 1, 128, 256]], [[1, 1, 256, 728]], [[1, 1, 728, 1024]]]);
      assert.deepEqual(
        m
          .getLayer('block14_sepconv2')
          .getWeights()
          .map((w) => w.shape),
        [
          [3, 3, 1536, 1],
          [1, 1, 1536, 2048],
        ],
      );
      const bn = m.getLayer('block1_conv1_bn').getConfig();
      assert.equal(bn.epsilon, 1e-3);
      assert.equal(bn.momentum, 0.99);
      assert.deepEqual(m.outputs[0]!.shape, [null, 3, 3, 2048]);
      assert.equal(m.outputLayers[0]!.name, 'block14_sepconv2_act');
    });
  });

  it('maps [1, 256, 256, 3] to [1, 8, 8, 2048] features without the top', () => {
    withModel(createXception({ includeTop: false, inputSize: 256 }), (m) => {
      const shape = tf.tidy(() => (m.predict(tf.randomUniform([1, 256, 256, 3], -1, 1)) as tf.Tensor).shape);
      assert.deepEqual(shape, [1, 8, 8, 2048]);
    });
  });

  it('maps [1, 256, 256, 3] to finite logits [1, 2] as XceptionBased', () => {
    withModel(createXceptionBased({ seed: 3 }), (m) => {
      const out = tf.tidy(() => m.predict(tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 5)) as tf.Tensor);
      try {
        assert.deepEqual(out.shape, [1, 2]);
        assert.ok(Array.from(out.dataSync()).every(Number.isFinite));
      } finally {
        out.dispose();
      }
    });
  });

  it('is reproducible from a seed and small with widthDivisor', () => {
    const a = createXceptionBased({ seed: 11, widthDivisor: 32, inputSize: 71 });
    const b = createXceptionBased({ seed: 11, widthDivisor: 32, inputSize: 71 });
    try {
      assert.ok(trainableParams(a) < 2_400_000);
      const [ya, yb] = tf.tidy(() => {
        const x = tf.randomUniform([2, 71, 71, 3], -1, 1, 'float32', 1);
        return [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
      });
      assert.deepEqual(ya!.arraySync(), yb!.arraySync());
      tf.dispose([ya!, yb!]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('rejects bad options', () => {
    assert.throws(() => createXception({ inputSize: 70 }), RangeError);
    assert.throws(() => createXception({ inputSize: 128.5 }), RangeError);
    assert.throws(() => createXception({ classes: 0 }), RangeError);
    assert.throws(() => createXceptionBased({ widthDivisor: 0.5 }), RangeError);
    assert.throws(() => createXceptionBased({ seed: Number.NaN }), RangeError);
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    withModel(createXception({ widthDivisor: 16, inputSize: 71 }), (m) => {
      tf.tidy(() => {
        m.predict(tf.zeros([1, 71, 71, 3]));
      });
    });
    assert.equal(tf.memory().numTensors, before);
  });
});
