// MobileNetBased: parameter counts, the bundled ImageNet weights landing in their layers, and equality with the original model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MEAN, STD } from '../data/index.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { FeatureNormalization } from './feature-norm.js';
import { createMobileNetBased, MOBILENET_FEATURE_MAP, MOBILENET_POOL } from './mobilenet.js';
import { assignNamedWeights } from './pretrained/assign.js';
import { mobileNetWeightsDir } from './pretrained/mobilenet-weights.js';
import { loadLayersModelFromDir } from './pretrained/tfjs-folder.js';
import { countTrainableParams, models } from './registry.js';

/** One weight's values read straight from the shards (manifest order, float32), independent of tfjs's loader. */
function shardValues(dir: string, name: string): { shape: number[]; values: Float32Array } {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      if (w.name === name)
        return { shape: w.shape, values: new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size * 4)) };
      offset += size * 4;
    }
  }
  throw new Error(`no ${name} in ${dir}`);
}

describe('MobileNetBased', () => {
  let model: tf.LayersModel;
  before(async () => {
    await initEngine({ requested: 'wasm' });
    model = models.MobileNetBased.create({ seed: 0 });
    await models.MobileNetBased.pretrained.load(model);
  });
  after(() => model.dispose());

  it('has 11,018,394 trainable parameters (backbone 1,816,560 + head 9,201,834)', () => {
    assert.equal(countTrainableParams(model), 11_018_394);
    assert.equal(model.countParams(), 11_052_666);
    const head = ['head_fc1', 'head_fc2', 'head_fc3', 'head_fc4'].reduce((s, n) => s + model.getLayer(n).countParams(), 0);
    assert.equal(head, 9_201_834);
    assert.equal(model.getLayer('feature_norm').countParams(), 17_856);
    assert.deepEqual(model.inputs[0]!.shape, [null, 256, 256, 3]);
    assert.deepEqual(model.outputs[0]!.shape, [null, 2]);
    assert.deepEqual(model.getLayer(MOBILENET_POOL).outputShape, [null, 8928]);
    assert.deepEqual(model.getLayer(MOBILENET_FEATURE_MAP).outputShape, [null, 8, 8, 768]);
    assert.equal(models.MobileNetBased.camLayer, MOBILENET_FEATURE_MAP);
  });

  it('puts the bundled ImageNet values into their layers', () => {
    const dir = mobileNetWeightsDir();
    for (const [layer, index, name] of [
      ['conv1', 0, 'conv1/kernel'],
      ['conv_dw_7', 0, 'conv_dw_7/depthwise_kernel'],
      ['conv_pw_13_bn', 3, 'conv_pw_13_bn/moving_variance'],
    ] as const) {
      const expected = shardValues(dir, name);
      const actual = model.getLayer(layer).getWeights()[index]!;
      assert.deepEqual(actual.shape, expected.shape, name);
      assert.deepEqual(actual.dataSync(), expected.values, name);
    }
  });

  it('computes the original ImageNet model’s pooled features from dataset-normalised input', async () => {
    const reference = await loadLayersModelFromDir(mobileNetWeightsDir());
    const at224 = createMobileNetBased({ inputSize: 224 });
    try {
      at224.setWeights(model.getWeights());
      const pooled = (m: tf.LayersModel, layer: string) => tf.model({ inputs: m.inputs, outputs: m.getLayer(layer).output as tf.SymbolicTensor });
      const [ours, theirs] = tf.tidy(() => {
        const symmetric = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 3); // Keras preprocess_input range
        const normalised = symmetric
          .add(1)
          .div(2)
          .sub(tf.tensor1d([...MEAN]))
          .div(tf.tensor1d([...STD]));
        return [
          (pooled(at224, 'pool_pw_13').predict(normalised) as tf.Tensor).dataSync() as Float32Array,
          (pooled(reference, 'global_average_pooling2d_1').predict(symmetric) as tf.Tensor).dataSync() as Float32Array,
        ];
      });
      assert.equal(ours.length, 2 * 768);
      const worst = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i]!)), 0);
      assert.ok(worst < 1e-4, `max |difference| ${worst}`);
    } finally {
      at224.dispose();
      reference.dispose();
    }
  });

  it('runs the backbone on the 256 px input itself (no resize) and pools each block by mean and standard deviation', () => {
    const [viaModel, expected, pooled, block5] = tf.tidy(() => {
      const x = tf.randomNormal([1, 256, 256, 3], 0, 1, 'float32', 5);
      const part = (layer: string) => tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
      const sym = x.mul(tf.tensor1d(STD.map((s) => 2 * s))).add(tf.tensor1d(MEAN.map((m) => 2 * m - 1)));
      return [part('preprocess').dataSync(), sym.dataSync(), part(MOBILENET_POOL).dataSync(), part('conv_pw_5_relu').dataSync()];
    });
    assert.equal(viaModel.length, 256 * 256 * 3);
    assert.ok(viaModel.every((v, i) => Math.abs(v - expected[i]!) < 1e-5));
    // Block 5 is [1, 32, 32, 192]; its mean and std pools sit after blocks 1–4's (48 + 96 + 96 + 192 channels, twice).
    const offset = 2 * (48 + 96 + 96 + 192);
    for (const c of [0, 77, 191]) {
      const values = Array.from({ length: 32 * 32 }, (_, p) => block5[p * 192 + c]!);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length + 1e-6);
      assert.ok(Math.abs(pooled[offset + c]! - mean) < 1e-4, `mean of channel ${c}`);
      assert.ok(Math.abs(pooled[offset + 192 + c]! - std) < 1e-4, `std of channel ${c}`);
    }
  });

  it('standardises the pooled features with statistics fitted by adapt()', () => {
    const norm = model.getLayer('feature_norm') as FeatureNormalization;
    const before = norm.getWeights().map((w) => w.dataSync().slice());
    try {
      const x = Float32Array.from({ length: 3 * 8928 }, (_, i) => (i % 8928) + [0, 3, 6][Math.floor(i / 8928)]!);
      norm.adapt(x, 3);
      const [mean, variance] = norm.getWeights().map((w) => w.dataSync());
      assert.equal(mean![10], 13);
      assert.equal(variance![10], 6);
      const y = tf.tidy(() => (norm.apply(tf.tensor2d(x, [3, 8928])) as tf.Tensor).dataSync());
      assert.ok(Math.abs(y[10]! + Math.sqrt(1.5)) < 1e-5 && Math.abs(y[8928 + 10]!) < 1e-6);
    } finally {
      const restore = before.map((v) => tf.tensor1d(v));
      norm.setWeights(restore);
      tf.dispose(restore);
    }
  });

  it('refuses a missing or mis-shaped weight, naming it, and leaves the model untouched', () => {
    const net = createMobileNetBased({ seed: 1 });
    try {
      const before = net.getLayer('conv1').getWeights()[0]!.dataSync().slice();
      const named = new Map<string, tf.Tensor>([['conv1/kernel', tf.zeros([3, 3, 3, 24])]]);
      assert.throws(
        () => assignNamedWeights(net, named, 'test.h5'),
        (e: unknown) => e instanceof UnmaskError && /'conv1_bn\/gamma'/.test(e.message),
      );
      named.set('conv1/kernel', tf.zeros([3, 3, 3, 32]));
      assert.throws(
        () => assignNamedWeights(net, named, 'test.h5', [net.getLayer('conv1')]),
        /'conv1\/kernel' of layer 'conv1' has shape \[3,3,3,32\], the model wants \[3,3,3,24\]/,
      );
      assert.deepEqual(net.getLayer('conv1').getWeights()[0]!.dataSync(), before);
      tf.dispose([...named.values()]);
    } finally {
      net.dispose();
    }
  });
});
