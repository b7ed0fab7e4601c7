// FastBatchNorm against tfjs's own batchNormalization: outputs, gradients, moving statistics, inference after training.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { FastBatchNorm } from './batch-norm.js';

/** conv 3×3 → BN → flatten → dense 2, the BN being tfjs's or ours; same seeded weights either way. */
function tinyModel(fast: boolean): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 3] });
  let x = tf.layers
    .conv2d({ name: 'c', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tf.SymbolicTensor;
  const bn = fast
    ? new FastBatchNorm({ name: 'bn', momentum: 0.9, epsilon: 1e-5 })
    : tf.layers.batchNormalization({ name: 'bn', momentum: 0.9, epsilon: 1e-5 });
  x = bn.apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'd', units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  const layer = model.getLayer('bn');
  const [, , mean, variance] = layer.getWeights();
  layer.setWeights([tf.tensor1d([1.5, 0.5, 2, 1]), tf.tensor1d([0.1, -0.2, 0.3, 0]), mean!, variance!]);
  return model;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

/** One training-mode forward + gradients of a scalar loss w.r.t. every trainable weight, by layer-given name. */
function trainGrads(model: tf.LayersModel, xs: tf.Tensor): { loss: number; grads: Map<string, Float32Array> } {
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const names = new Map(model.trainableWeights.map((w, i) => [variables[i]!.name, w.originalName]));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sin(model.apply(xs, { training: true }) as tf.Tensor))) as tf.Scalar, variables);
  const out = new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array]));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

describe('FastBatchNorm', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('has tfjs batchNormalization weights and matches its training-mode loss, gradients and moving statistics', () => {
    const [ref, fast] = [tinyModel(false), tinyModel(true)];
    assert.deepEqual(
      fast.getLayer('bn').weights.map((w) => [w.originalName, w.trainable]),
      ref.getLayer('bn').weights.map((w) => [w.originalName, w.trainable]),
    );
    const xs = tf.randomNormal([6, 5, 5, 3], 2, 3, 'float32', 7);
    const [a, b] = [trainGrads(ref, xs), trainGrads(fast, xs)];
    close([b.loss], [a.loss], 1e-5, 'loss');
    assert.deepEqual([...b.grads.keys()].sort(), [...a.grads.keys()].sort());
    for (const [name, g] of a.grads) close(b.grads.get(name)!, g, 1e-4, name);
    const moving = (m: tf.LayersModel) =>
      m
        .getLayer('bn')
        .getWeights()
        .slice(2)
        .map((t) => t.dataSync());
    moving(ref).forEach((r, i) => close(moving(fast)[i]!, r, 1e-5, `moving statistic ${i}`));
    close((fast.predict(xs) as tf.Tensor).dataSync(), (ref.predict(xs) as tf.Tensor).dataSync(), 1e-5, 'inference output');
    tf.dispose([xs]);
    ref.dispose();
    fast.dispose();
  });

  it('after training-mode passes, inference uses moving statistics that match the data (a tiny batch)', () => {
    const input = tf.input({ shape: [2, 2, 3] });
    const layer = new FastBatchNorm({ name: 'bn_only' });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    // Channel c has mean 10·(c + 1) and standard deviation c + 1 in every batch.
    const batch = (seed: number) =>
      tf.tidy(() => tf.add(tf.mul(tf.randomNormal([4, 2, 2, 3], 0, 1, 'float32', seed), tf.tensor1d([1, 2, 3])), tf.tensor1d([10, 20, 30])));
    for (let step = 0; step < 60; step++) {
      const xs = batch(step);
      tf.dispose(model.apply(xs, { training: true }) as tf.Tensor);
      xs.dispose();
    }
    const [mean, variance] = layer
      .getWeights()
      .slice(2)
      .map((t) => Array.from(t.dataSync()));
    mean!.forEach((m, c) => assert.ok(Math.abs(m - 10 * (c + 1)) < 0.6 * (c + 1), `moving mean ${c}: ${m}`));
    variance!.forEach((v, c) => assert.ok(v > 0.4 * (c + 1) ** 2 && v < 1.6 * (c + 1) ** 2, `moving variance ${c}: ${v}`));
    // Inference on fresh data of the same distribution is normalised: per-channel mean ≈ 0, std ≈ 1.
    const fresh = batch(1000);
    const { mean: outMean, variance: outVar } = tf.moments(model.predict(fresh) as tf.Tensor, [0, 1, 2]);
    Array.from(outMean.dataSync()).forEach((m) => assert.ok(Math.abs(m) < 0.8, `inference mean ${m}`));
    Array.from(outVar.dataSync()).forEach((v) => assert.ok(v > 0.3 && v < 2.5, `inference variance ${v}`));
    tf.dispose([fresh, outMean, outVar]);
    model.dispose();
  });

  it('refuses a momentum outside [0, 1) and a non-positive epsilon', () => {
    assert.throws(() => new FastBatchNorm({ name: 'x', momentum: 1 }), RangeError);
    assert.throws(() => new FastBatchNorm({ name: 'x', epsilon: 0 }), RangeError);
  });
});
