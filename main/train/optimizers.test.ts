// The fused optimizers follow PyTorch's update rules exactly, in place and through tensor ops alike.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { FusedOptimizer, type OptimizerConfig } from './optimizers.js';
import { configs, grads, reference, w0 } from '../../test/helpers/optimizer-reference.js';

function run(config: OptimizerConfig, shareStorage: boolean, factor?: number): Float32Array {
  const variable = tf.variable(tf.tensor1d(w0), true, `w_${config.name}_${shareStorage}_${factor}`);
  // A reshape shares the variable's storage: the in-place loop must leave it (and so the alias) unwritten.
  const alias = shareStorage ? tf.reshape(variable, [w0.length]) : null;
  const optimizer = new FusedOptimizer(config);
  if (factor != null) optimizer.scaleLearningRate(variable, factor);
  for (const g of grads) {
    const grad = tf.tensor1d(g);
    optimizer.applyGradients([variable], { [variable.name]: grad });
    grad.dispose();
  }
  const result = variable.dataSync() as Float32Array;
  optimizer.dispose();
  alias?.dispose();
  variable.dispose();
  return result;
}

describe('FusedOptimizer', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  for (const config of configs) {
    for (const shared of [false, true]) {
      it(`${config.name} (in place${shared ? ', the weight aliased' : ''}) matches PyTorch's update rule over 3 steps`, () => {
        const expected = reference(config, w0, grads);
        const actual = run(config, shared);
        expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-6 * Math.max(1, Math.abs(e)), `w[${i}] ${actual[i]} vs ${e}`));
      });
    }
  }

  for (const shared of [false, true]) {
    it(`a per-variable rate factor equals training at the scaled rate (in place${shared ? ', the weight aliased' : ''})`, () => {
      for (const config of configs) {
        const expected = reference({ ...config, lr: config.lr * 0.1 }, w0, grads);
        const actual = run(config, shared, 0.1);
        expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${config.name} w[${i}] ${actual[i]} vs ${e}`));
        // Factor 0 freezes the weight (no decay either).
        assert.deepEqual(Array.from(run(config, shared, 0)), Array.from(Float32Array.from(w0)));
      }
    });
  }

  it('moments restored from tensors the caller keeps are written apart from them (a clone shares storage)', () => {
    const variable = tf.variable(tf.tensor1d([1, 2]));
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.1 });
    const held = [tf.tensor1d([0.5, -0.5]), tf.tensor1d([0.25, 0.25])];
    optimizer.setState({ step: 1, slots: { [variable.name]: held } }, [variable]);
    const grad = tf.tensor1d([1, 1]);
    optimizer.applyGradients([variable], { [variable.name]: grad });
    assert.deepEqual(Array.from(held[0]!.dataSync()), [0.5, -0.5]);
    assert.deepEqual(Array.from(held[1]!.dataSync()), [0.25, 0.25]);
    const m = optimizer.getState().slots[variable.name]![0]!.dataSync();
    assert.ok(Math.abs(m[0]! - (0.9 * 0.5 + 0.1)) < 1e-6 && Math.abs(m[1]! - (0.9 * -0.5 + 0.1)) < 1e-6, `m ${m}`);
    tf.dispose([...held, grad, variable]);
    optimizer.dispose();
  });

  it('setLearningRate changes the rate of later steps only', () => {
    const variable = tf.variable(tf.tensor1d([1]));
    const optimizer = new FusedOptimizer({ name: 'SGD', lr: 0.1, momentum: 0 });
    const step = () => {
      const grad = tf.tensor1d([1]);
      optimizer.applyGradients([variable], { [variable.name]: grad });
      grad.dispose();
    };
    step();
    optimizer.setLearningRate(0.01);
    step();
    assert.ok(Math.abs(variable.dataSync()[0]! - (1 - 0.1 - 0.01)) < 1e-7);
    assert.equal(optimizer.learningRate, 0.01);
    optimizer.dispose();
    variable.dispose();
  });

  it('Adam stays exact when allocating the new weights grows the wasm heap', () => {
    // A fresh 16 MB weight per step makes the heap grow mid-update; views taken before that growth used to
    // read as undefined and turned every moment into NaN.
    const n = 4_000_000;
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.01 });
    const variable = tf.variable(tf.fill([n], 0.5));
    for (let step = 1; step <= 2; step++) {
      const grad = tf.fill([n], 0.1);
      optimizer.applyGradients([variable], { [variable.name]: grad });
      grad.dispose();
    }
    const values = variable.dataSync();
    // Constant gradient: each Adam step moves by lr·ĝ/(√v̂ + eps) = 0.01 (to 1e-7).
    for (const i of [0, n >> 1, n - 1]) assert.ok(Math.abs(values[i]! - 0.48) < 1e-6, `w[${i}] = ${values[i]}`);
    assert.ok(values.every(Number.isFinite));
    optimizer.dispose();
    variable.dispose();
  });

  it('rejects a non-positive learning rate', () => {
    assert.throws(() => new FusedOptimizer({ name: 'Adam', lr: 0 }), RangeError);
  });
});
