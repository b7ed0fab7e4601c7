// Trainer checks on real face images with a tiny model: averages by hand, loss falls, resume == uninterrupted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createLoader, FaceDataset, type Sample } from '../data/index.js';
import { realImages } from '../data/fixtures.js';
import { initEngine } from '../engine/select.js';
import { evaluate, trainOneEpoch } from './epoch.js';
import { checkpointPath, fit, restoreEpoch, type EpochMetrics } from './fit.js';
import { FusedOptimizer } from './optimizers.js';

/** A tiny conv net on the real 256×256 input: enough to learn, small enough for CI. Named layers, as in
 * every registry model, so checkpoints match weights by name across model instances. */
function tinyModel(seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const input = tf.input({ shape: [256, 256, 3] });
  let x = tf.layers
    .conv2d({ name: 'conv', filters: 4, kernelSize: 5, strides: 4, activation: 'relu', kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ name: 'logits', units: 2, kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

let samples: Sample[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-fit-'));

before(async () => {
  await initEngine({ requested: 'wasm' });
  const real = await realImages('train', 'real', 5);
  const fake = await realImages('train', 'fake', 5);
  samples = [...real.map((p) => ({ path: p, label: 0 as const })), ...fake.map((p) => ({ path: p, label: 1 as const }))];
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Softmax cross-entropy of one logit pair, in float64. */
function crossEntropy(logits: number[], label: number): number {
  const m = Math.max(...logits);
  const logSum = m + Math.log(logits.reduce((s, z) => s + Math.exp(z - m), 0));
  return logSum - logits[label]!;
}

describe('trainOneEpoch / evaluate', () => {
  it('average loss and accuracy are per-sample means, the short last batch weighted by its size', async () => {
    const model = tinyModel(1);
    const dataset = new FaceDataset(samples.slice(0, 7));
    let expectedLoss = 0;
    let expectedCorrect = 0;
    for (let i = 0; i < dataset.length; i++) {
      const item = await dataset.get(i);
      const logits = tf.tidy(() => Array.from((model.predict(tf.tensor4d(item.image, [1, 256, 256, 3])) as tf.Tensor).dataSync()));
      expectedLoss += crossEntropy(logits, item.label) / dataset.length;
      expectedCorrect += Number(logits[1]! > logits[0]! ? item.label === 1 : item.label === 0);
    }
    // Batches of 3, 3, 1: a mean of batch means would weigh the last image 3× too much.
    const result = await evaluate(model, createLoader(dataset, { batchSize: 3 }));
    assert.equal(result.samples, 7);
    assert.ok(Math.abs(result.avgLoss - expectedLoss) < 1e-5, `${result.avgLoss} vs ${expectedLoss}`);
    assert.ok(Math.abs(result.accuracy - (100 * expectedCorrect) / 7) < 1e-9);
    // A training pass with a vanishing learning rate sees the same weights, so it reports the same means.
    const train = await trainOneEpoch(model, new FusedOptimizer({ name: 'SGD', lr: 1e-20, momentum: 0 }), createLoader(dataset, { batchSize: 3 }), {
      epoch: 0,
    });
    assert.ok(Math.abs(train.avgLoss - expectedLoss) < 1e-5);
    model.dispose();
  });

  it('the training loss falls over a few epochs on real images', async () => {
    const model = tinyModel(2);
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.01 });
    const loader = createLoader(new FaceDataset(samples), { batchSize: 5, shuffle: true, seed: 1 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 6; epoch++) losses.push((await trainOneEpoch(model, optimizer, loader, { epoch })).avgLoss);
    assert.ok(losses.at(-1)! < losses[0]!, `losses ${losses.map((l) => l.toFixed(4))}`);
    optimizer.dispose();
    model.dispose();
  });
});

describe('fit', () => {
  async function run(dir: string, epochs: number, resume: boolean): Promise<EpochMetrics[]> {
    const model = tinyModel(3);
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 0.005 });
    const loaders = {
      train: createLoader(new FaceDataset(samples), { batchSize: 4, shuffle: true, augment: true, seed: 9 }),
      val: createLoader(new FaceDataset(samples.slice(2, 8)), { batchSize: 4 }),
      test: createLoader(new FaceDataset(samples.slice(0, 4)), { batchSize: 4 }),
    };
    const startEpoch = resume ? restoreEpoch(dir, 1, model, optimizer) : 0;
    const history = await fit({ model, optimizer, loaders, epochs, checkpointDir: dir, startEpoch });
    optimizer.dispose();
    model.dispose();
    return history;
  }

  it('resuming from the last checkpoint reproduces the uninterrupted run', async () => {
    const whole = await run(path.join(tmp, 'whole'), 3, false);
    const first = await run(path.join(tmp, 'split'), 1, false);
    const rest = await run(path.join(tmp, 'split'), 3, true);
    assert.deepEqual(
      [...first, ...rest].map((m) => m.epoch),
      [1, 2, 3],
    );
    const strip = (m: EpochMetrics) => [m.trainLoss, m.trainAcc, m.valLoss, m.valAcc, m.testLoss, m.testAcc];
    assert.deepEqual([...first, ...rest].map(strip), whole.map(strip));
    const kept = fs.readdirSync(path.join(tmp, 'whole')).filter((n) => n.startsWith('last-'));
    assert.deepEqual(kept, [path.basename(checkpointPath(tmp, 'last', 3))], 'older last checkpoints are pruned');
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const model = tinyModel(4);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      fit({
        model,
        optimizer: new FusedOptimizer({ name: 'Adam', lr: 0.01 }),
        loaders: { train: createLoader(new FaceDataset(samples), { batchSize: 4 }), val: createLoader(new FaceDataset(samples), { batchSize: 4 }), test: null },
        epochs: 1,
        checkpointDir: path.join(tmp, 'cancel'),
        signal: controller.signal,
      }),
      { code: 'CANCELLED' },
    );
    model.dispose();
  });
});
