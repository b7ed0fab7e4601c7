// Keras .h5 / tfjs-folder weight import into Xception: every tensor lands in its layer, mismatches are named errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from '../../data/fixtures.js';
import { UnmaskError } from '../../engine/errors.js';
import { initEngine } from '../../engine/select.js';
import { createXception, createXceptionBased, createXceptionRegions } from '../xception.js';
import { layersBefore, shortName } from './assign.js';
import { importKerasWeights, readKerasH5 } from './keras-h5.js';

const dir = path.join(repoRoot, 'test/fixtures/xception');
const withTop = path.join(dir, 'xception_w16.h5');
const noTop = path.join(dir, 'xception_w16_notop.h5');
/** 'layer/weight' (the file's Keras names) → [first value, sum, count], written by make_fixture.py. */
const checksums = JSON.parse(fs.readFileSync(path.join(dir, 'checksums.json'), 'utf8')) as Record<string, [number, number, number]>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-h5-'));

/** Our shortcut layer names → the official files' (conv2d → conv2d_1, …). */
const kerasName = (name: string): string => {
  const m = /^(conv2d|batch_normalization)(?:_(\d+))?$/.exec(name);
  return m ? `${m[1]}_${Number(m[2] ?? 0) + 1}` : name;
};

/** Checks every weight of `layers` against the fixture's checksums; returns how many were checked. */
function assertLanded(layers: tf.layers.Layer[]): number {
  let checked = 0;
  for (const layer of layers) {
    for (const w of layer.weights) {
      const key = `${kerasName(layer.name)}/${shortName(w)}`;
      const expected = checksums[key];
      assert.ok(expected, `fixture has no ${key}`);
      const values = w.read().dataSync() as Float32Array;
      assert.equal(values.length, expected[2], key);
      assert.equal(values[0], Math.fround(expected[0]), `${key}[0]`);
      const sum = values.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - expected[1]) <= 1e-4 * Math.max(1, Math.abs(expected[1])), `${key}: sum ${sum} vs ${expected[1]}`);
      checked++;
    }
  }
  return checked;
}

const fixtureModel = () => createXception({ widthDivisor: 16, classes: 10, inputSize: 71, seed: 1 });

describe('importKerasWeights', () => {
  before(async () => {
    await initEngine({ requested: 'wasm' });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a model.save() file (model_weights/<layer>/<layer>/<weight>:0) with Keras 2 names', async () => {
    const named = await readKerasH5(withTop);
    assert.equal(named.size, 236);
    assert.deepEqual(named.get('block2_sepconv1/depthwise_kernel')?.shape, [3, 3, 4, 1]);
    assert.deepEqual(named.get('block2_sepconv1/pointwise_kernel')?.shape, [1, 1, 4, 8]);
    assert.ok(named.has('conv2d_4/kernel') && named.has('batch_normalization_1/moving_variance') && !named.has('conv2d/kernel'));
    tf.dispose([...named.values()]);
  });

  it('puts every tensor of the file with the top into its layer (shortcuts matched by order)', async () => {
    const model = fixtureModel();
    try {
      const result = await importKerasWeights(model, withTop);
      assert.deepEqual([result.layers, result.tensors, result.unused], [81, 236, []]);
      assert.equal(assertLanded(model.layers), 236);
    } finally {
      model.dispose();
    }
  });

  it('loads a no-top save_weights() file into XceptionBased’s backbone and leaves the head alone', async () => {
    const model = createXceptionBased({ widthDivisor: 16, inputSize: 71, seed: 2 });
    try {
      const head = model.getLayer('head_fc1').getWeights()[0]!.dataSync().slice();
      const result = await importKerasWeights(model, noTop, layersBefore(model, 'avg_pool'));
      assert.equal(result.tensors, 234);
      assert.equal(assertLanded(layersBefore(model, 'avg_pool')), 234);
      assert.deepEqual(model.getLayer('head_fc1').getWeights()[0]!.dataSync(), head);
    } finally {
      model.dispose();
    }
  });

  it('loads the same no-top file into XceptionRegions, whose backbone stops after block 12 (3 of the 4 shortcuts)', async () => {
    const model = createXceptionRegions({ widthDivisor: 16, inputSize: 71, seed: 2 });
    try {
      const result = await importKerasWeights(model, noTop, layersBefore(model, 'region_pool'));
      // Blocks 13 and 14 hold 29 of the 234 arrays: 4 separable convs (2 each), 5 batch norms (4 each), a shortcut conv (1).
      assert.equal(result.tensors, 234 - 29);
      assert.ok(result.unused.some((k) => k.startsWith('block14_sepconv2/')));
      assert.equal(assertLanded(layersBefore(model, 'region_pool')), 234 - 29);
    } finally {
      model.dispose();
    }
  });

  it('names what does not match: a missing top, a wrong width, a file that is not HDF5', async () => {
    const top = fixtureModel();
    const wide = createXception({ widthDivisor: 8, classes: 10, inputSize: 71 });
    try {
      await assert.rejects(
        importKerasWeights(top, noTop),
        (e: unknown) => e instanceof UnmaskError && /no weight 'predictions\/kernel' for layer 'predictions'/.test(e.message),
      );
      await assert.rejects(
        importKerasWeights(wide, withTop),
        /weight 'block1_conv1\/kernel' of layer 'block1_conv1' has shape \[3,3,3,2\], the model wants \[3,3,3,4\]/,
      );
      const junk = path.join(tmp, 'junk.h5');
      fs.writeFileSync(junk, 'not hdf5');
      await assert.rejects(importKerasWeights(top, junk), (e: unknown) => e instanceof UnmaskError && e.code === 'BAD_ARGUMENT');
      await assert.rejects(importKerasWeights(top, path.join(tmp, 'missing.h5')), (e: unknown) => e instanceof UnmaskError && e.code === 'NOT_FOUND');
    } finally {
      top.dispose();
      wide.dispose();
    }
  });

  it('accepts a tfjs layers model folder (fresh-session names conv2d … conv2d_3)', async () => {
    const source = fixtureModel();
    const target = createXception({ widthDivisor: 16, classes: 10, inputSize: 71, seed: 9 });
    try {
      await importKerasWeights(source, withTop);
      const folder = path.join(tmp, 'tfjs');
      await source.save(
        tf.io.withSaveHandler(async (artifacts) => {
          fs.mkdirSync(folder, { recursive: true });
          const data = artifacts.weightData!;
          fs.writeFileSync(path.join(folder, 'weights.bin'), Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data));
          const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
          fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: manifest }));
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const result = await importKerasWeights(target, folder);
      assert.equal(result.tensors, 236);
      assert.equal(assertLanded(target.layers), 236);
    } finally {
      source.dispose();
      target.dispose();
    }
  });
});
