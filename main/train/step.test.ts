// A SimpleNet training step on the wasm engine: exact size, no tensor leaks over 50 steps, loss goes down.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../engine/select.js';
import { countTrainableParams, models } from '../models/registry.js';
import { FusedOptimizer } from './optimizers.js';
import { trainStep } from './step.js';

const backendDataIds = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

describe('SimpleNet training step (wasm engine)', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });

  it('has exactly 16,901,762 trainable parameters', () => {
    const model = models.SimpleNet.create({ seed: 1 });
    assert.equal(countTrainableParams(model), 16_901_762);
    model.dispose();
  });

  it('50 steps leave tf.memory().numTensors and the backend buffers flat, and fit a fixed batch', () => {
    const model = models.SimpleNet.create({ seed: 3 });
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-4 });
    const xs = tf.randomNormal([2, 256, 256, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = tf.tensor1d([0, 1], 'int32');
    const first = trainStep(model, optimizer, xs, labels); // creates the optimizer's slots
    const tensors = tf.memory().numTensors;
    const buffers = backendDataIds();
    let last = first;
    for (let i = 0; i < 49; i++) last = trainStep(model, optimizer, xs, labels);
    assert.equal(tf.memory().numTensors, tensors, 'tensor count grew');
    assert.equal(backendDataIds(), buffers, 'backend buffers grew');
    assert.ok(last.loss < first.loss / 4, `loss did not fall: ${first.loss} → ${last.loss}`);
    assert.equal(last.correct, 2);
    tf.dispose([xs, labels]);
    optimizer.dispose();
    model.dispose();
  });
});
