// Bonus: its parameter budget, shapes and seeding, a checkpoint round trip, and `unmask bonus` as a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { linkSubset } from '../data/index.js';
import { fakesDataset, repoRoot } from '../data/fixtures.js';
import { initEngine } from '../engine/select.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { FusedOptimizer } from '../train/optimizers.js';
import { trainStep } from '../train/step.js';
import { BONUS_FEATURE_LAYER, BONUS_SPEC, BONUS_VARIANTS, createBonusNet } from './bonus.js';
import { countTrainableParams, models } from './registry.js';

/** 1 % of SimpleNet's 16,901,762 trainable parameters, rounded down: the bonus budget. */
const BUDGET = 169_017;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-bonus-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

before(async () => {
  await initEngine({ requested: 'wasm' });
});

describe('Bonus model', () => {
  it('has 56,098 trainable parameters, within 1 % of SimpleNet, and is the registry entry', () => {
    const model = models.Bonus.create({ seed: 0 });
    assert.equal(countTrainableParams(model), 56_098);
    assert.ok(countTrainableParams(model) <= BUDGET);
    const simple = models.SimpleNet.create();
    assert.ok(countTrainableParams(model) * 100 <= countTrainableParams(simple));
    simple.dispose();
    // BN moving statistics are weights too, but not trainable.
    assert.equal(model.countParams(), 56_098 + 2 * (32 + 64 + 64 + 128 + 128 + 192));
    assert.equal(models.Bonus.camLayer, BONUS_FEATURE_LAYER);
    assert.equal(models.Bonus.inputSize, 256);
    assert.deepEqual(model.getLayer(BONUS_FEATURE_LAYER).outputShape, [null, 16, 16, 192]);
    assert.deepEqual(model.getLayer('stem').outputShape, [null, 64, 64, 32]);
    assert.equal(BONUS_SPEC, BONUS_VARIANTS.patch);
    model.dispose();
  });

  it('the bundled trained checkpoint (resources/models/bonus) loads into the model as built', () => {
    const model = createBonusNet();
    assert.equal(loadCheckpoint(path.join(repoRoot, 'resources/models/bonus'), model), 3);
    model.dispose();
  });

  it('every design variant fits the budget', () => {
    for (const [name, spec] of Object.entries(BONUS_VARIANTS)) {
      const model = createBonusNet({ spec, seed: 0, inputSize: 64 });
      assert.ok(countTrainableParams(model) <= BUDGET, name);
      model.dispose();
    }
  });

  it('maps [b, 256, 256, 3] to logits [b, 2]; the same seed gives the same weights', () => {
    const [a, b, c] = [createBonusNet({ seed: 4 }), createBonusNet({ seed: 4 }), createBonusNet({ seed: 5 })];
    const xs = tf.randomNormal([3, 256, 256, 3], 0, 1, 'float32', 1);
    const out = a.predict(xs) as tf.Tensor;
    assert.deepEqual(out.shape, [3, 2]);
    assert.ok(Array.from(out.dataSync()).every(Number.isFinite));
    const kernel = (m: tf.LayersModel, layer: string) => Array.from(m.getLayer(layer).getWeights()[0]!.dataSync());
    for (const layer of ['stem', 'b1_conv', 'b2_dw', 'b3_pw', 'logits']) {
      assert.deepEqual(kernel(a, layer), kernel(b, layer), layer);
      assert.notDeepEqual(kernel(a, layer), kernel(c, layer), layer);
    }
    tf.dispose([xs, out]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('trains a step with finite loss, and a checkpoint restores the same outputs (moving statistics included)', () => {
    const model = createBonusNet({ seed: 1, inputSize: 64 });
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
    const xs = tf.randomNormal([4, 64, 64, 3], 0, 1, 'float32', 2);
    const ys = tf.tensor1d([0, 1, 0, 1], 'int32');
    const before = countTrainableParams(model);
    for (let i = 0; i < 2; i++) assert.ok(Number.isFinite(trainStep(model, optimizer, xs, ys).loss));
    assert.equal(countTrainableParams(model), before);
    const dir = path.join(tmp, 'roundtrip');
    saveCheckpoint(dir, model, optimizer, 2);
    const copy = createBonusNet({ seed: 9, inputSize: 64 });
    assert.equal(loadCheckpoint(dir, copy), 2);
    const [p, q] = [model.predict(xs) as tf.Tensor, copy.predict(xs) as tf.Tensor];
    assert.deepEqual(Array.from(q.dataSync()), Array.from(p.dataSync()));
    tf.dispose([xs, ys, p, q]);
    [model, copy].forEach((m) => m.dispose());
    optimizer.dispose();
  });

  it('refuses a bad input size, seed or spec', () => {
    assert.throws(() => createBonusNet({ inputSize: 16 }), RangeError);
    assert.throws(() => createBonusNet({ seed: Number.NaN }), RangeError);
    assert.throws(() => createBonusNet({ spec: { stem: [8, 2, true], stages: [] } }), RangeError);
  });
});

describe('unmask bonus', () => {
  const unmask = (args: string[]) =>
    spawnSync(process.execPath, ['bin/unmask.js', 'bonus', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, UNMASK_ENGINE: 'wasm' },
    });

  it('prints one JSON line with the test AUC, accuracy, parameter count and n of a saved checkpoint', () => {
    const dataset = linkSubset(fakesDataset, path.join(tmp, 'tiny'), { train: 1, val: 1, test: 3 });
    const checkpoint = path.join(tmp, 'checkpoint');
    const model = createBonusNet({ seed: 2 });
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
    saveCheckpoint(checkpoint, model, optimizer, 1);
    optimizer.dispose();
    model.dispose();
    const r = unmask(['--checkpoint', checkpoint, '-d', dataset, '--batch-size', '4']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as { auc: number; accuracy: number; params: number; n: number; split: string; epoch: number };
    assert.deepEqual([out.params, out.n, out.split, out.epoch], [56_098, 6, 'test', 1]);
    assert.ok(out.auc >= 0 && out.auc <= 1, `auc ${out.auc}`);
    // 6 images: accuracy is a multiple of 1/6.
    assert.ok(Math.abs(out.accuracy * 6 - Math.round(out.accuracy * 6)) < 1e-9, `accuracy ${out.accuracy}`);
  });

  it('says what is wrong with a missing checkpoint or flag', () => {
    const missing = unmask(['--checkpoint', path.join(tmp, 'nowhere'), '-d', path.join(tmp, 'tiny')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
    const usage = unmask(['-d', path.join(tmp, 'tiny')]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /BAD_ARGUMENT.*--checkpoint/);
  });
});
