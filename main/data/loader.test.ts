// Tests of FaceDataset and createLoader: coverage per epoch, seeded reshuffling, augmentation, failures, tensors.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UnmaskError } from '../engine/errors.js';
import { AUGMENT_TAG, FaceDataset } from './dataset.js';
import { cleanup, makePng, realImages, tmpDir } from './fixtures.js';
import { rngFrom } from './rng.js';
import { drawTrainAugment, renderAugmented } from './train-augment.js';
import { createLoader, type Batch, type Loader } from './loader.js';
import { batchToTensors } from './tensors.js';
import { MEAN, STD } from './transforms.js';
import { IMAGE_VALUES, type Label, type Sample } from './types.js';

let tmp = '';
let samples: Sample[] = [];
before(async () => {
  tmp = await tmpDir('loader');
  // Sample i is a solid image with red = 20 * i, so the batch content identifies the sample.
  samples = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const file = path.join(tmp, `s${i}.png`);
      await makePng(file, 256, 256, 3, () => [20 * i, 100, 200]);
      return { path: file, label: (i % 2) as Label };
    }),
  );
});
after(() => cleanup(tmp));

async function collect(batches: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

const order = (batches: Batch[]) => batches.flatMap((b) => b.paths.map((p) => path.basename(p)));

/** The sample index encoded in image k of a batch (red channel of its first pixel). */
function redIndex(b: Batch, k: number): number {
  const v = b.x[k * IMAGE_VALUES]! * STD[0] + MEAN[0];
  return Math.round((v * 255) / 20);
}

describe('loader', () => {
  test("policy 'deepfake': each sample's batch image is its seeded deepfake augmentation, the same in every run", async () => {
    const [file] = await realImages('train', 'real', 1);
    const dataset = new FaceDataset([{ path: file!, label: 0 }], 'photo');
    const first = async (policy: 'deepfake' | 'crop-flip') =>
      (await collect(createLoader(dataset, { batchSize: 1, shuffle: true, augment: true, policy, seed: 7 }).epoch(3)))[0]!.x;
    const bytes = await dataset.raw(0);
    const want = renderAugmented(bytes, drawTrainAugment('deepfake', rngFrom(7, 3, 0, AUGMENT_TAG)));
    assert.deepEqual(await first('deepfake'), want);
    assert.notDeepEqual(await first('crop-flip'), want);
  });

  test('balanced: every batch holds as many real as fake images, the smaller class repeating', async () => {
    // Samples 0–7 real, 8–9 fake.
    const skewed = samples.map((s, i) => ({ ...s, label: (i >= 8 ? 1 : 0) as Label }));
    const loader = createLoader(new FaceDataset(skewed, 'skewed'), { batchSize: 4, shuffle: true, balanced: true, seed: 2 });
    assert.equal(loader.batchesPerEpoch, 4);
    const epoch = await collect(loader);
    assert.deepEqual(
      epoch.map((b) => [...b.labels].filter((l) => l === 1).length),
      [2, 2, 2, 2],
    );
    assert.deepEqual([...new Set(order(epoch).filter((f) => f === 's8.png' || f === 's9.png'))].sort(), ['s8.png', 's9.png']);
    assert.equal(new Set(order(epoch).filter((f) => !['s8.png', 's9.png'].includes(f))).size, 8);
  });

  test('every sample exactly once per epoch, batches consistent, reshuffled per epoch', async () => {
    const loader = createLoader(new FaceDataset(samples, 'synthetic'), { batchSize: 4, shuffle: true, seed: 1 });
    assert.equal(loader.batchesPerEpoch, 3);
    const e0 = await collect(loader);
    const e1 = await collect(loader);
    assert.equal(loader.nextEpoch, 2);
    assert.deepEqual(
      e0.map((b) => b.size),
      [4, 4, 2],
    );
    assert.equal(e0[2]!.x.length, 2 * IMAGE_VALUES);
    for (const epoch of [e0, e1]) {
      assert.deepEqual([...order(epoch)].sort(), samples.map((s) => path.basename(s.path)).sort());
      for (const b of epoch) {
        b.paths.forEach((p, k) => {
          const i = Number(path.basename(p).slice(1, -4));
          assert.equal(redIndex(b, k), i, 'image matches its path');
          assert.equal(b.labels[k], i % 2, 'label matches its path');
        });
        assert.ok(b.decodeMs >= 0 && b.transformMs >= 0 && b.waitMs >= b.decodeMs);
      }
    }
    assert.notDeepEqual(order(e0), order(e1), 'epoch 1 is shuffled differently');
    const again = createLoader(new FaceDataset(samples), { batchSize: 4, shuffle: true, seed: 1 });
    assert.deepEqual(order(await collect(again.epoch(1))), order(e1), 'same seed and epoch, same order');
    const plain = createLoader(new FaceDataset(samples), { batchSize: 3, prefetch: 0 });
    assert.deepEqual(
      order(await collect(plain)),
      samples.map((s) => path.basename(s.path)),
    );
  });

  test('augmentation is seeded and matches FaceDataset.get for epoch 0', async () => {
    const real = await realImages('val', 'real', 3);
    const ds = new FaceDataset(real.map((p) => ({ path: p, label: 0 as Label })));
    const run = (seed: number) => collect(createLoader(ds, { batchSize: 3, augment: true, seed }).epoch(0));
    const [a] = await run(5);
    const [b] = await run(5);
    const [c] = await run(6);
    assert.deepEqual(a!.x, b!.x);
    assert.notDeepEqual(a!.x, c!.x);
    const item = await ds.get(1, { augment: true, seed: 5 });
    assert.deepEqual(item.image, a!.x.subarray(IMAGE_VALUES, 2 * IMAGE_VALUES));
    const [plain] = await collect(createLoader(ds, { batchSize: 3 }));
    assert.deepEqual((await ds.get(2)).image, plain!.x.subarray(2 * IMAGE_VALUES));
  });

  test('an undecodable (truncated) image is reported and skipped, not fatal', async () => {
    const cut = path.join(tmp, 'cut.jpg');
    const [donor] = await realImages('val', 'fake', 1);
    const bytes = await fs.readFile(donor!);
    await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const ds = new FaceDataset([...samples.slice(0, 5), { path: cut, label: 1 }, ...samples.slice(5)]);
    const loader: Loader = createLoader(ds, { batchSize: 4, shuffle: true, seed: 3, dropLast: true });
    const e0 = await collect(loader);
    assert.deepEqual(
      e0.map((b) => b.size),
      [4, 4],
    );
    const skipped = e0.flatMap((b) => b.skipped);
    assert.ok(skipped.length <= 1);
    assert.deepEqual(
      loader.bad.map((b) => [b.path, b.kind]),
      [[cut, 'decode-failed']],
    );
    assert.match(loader.bad[0]!.reason, /cut\.jpg/);
    const e1 = await collect(loader);
    assert.equal(e1.flatMap((b) => b.skipped).length, 0, 'known-bad samples are not retried');
    assert.ok(!order(e1).includes('cut.jpg'));
  });

  test('breaking out of an epoch is clean; bad options are BAD_ARGUMENT', async () => {
    const loader = createLoader(new FaceDataset(samples), { batchSize: 2, shuffle: true, prefetch: 3 });
    for await (const b of loader) {
      assert.equal(b.size, 2);
      break;
    }
    assert.equal((await collect(loader)).length, 5);
    const isBad = (e: unknown) => e instanceof UnmaskError && e.code === 'BAD_ARGUMENT';
    assert.throws(() => createLoader(new FaceDataset(samples), { batchSize: 0 }), isBad);
    await assert.rejects(new FaceDataset(samples).get(10), isBad);
  });

  test('batchToTensors gives [batch,256,256,3] and int or one-hot labels', async () => {
    const [batch] = await collect(createLoader(new FaceDataset(samples.slice(0, 3)), { batchSize: 3 }));
    const int = batchToTensors(batch!);
    const hot = batchToTensors(batch!, 'onehot');
    assert.deepEqual(int.xs.shape, [3, 256, 256, 3]);
    assert.equal(int.ys.dtype, 'int32');
    assert.deepEqual(await int.ys.array(), [0, 1, 0]);
    assert.deepEqual(await hot.ys.array(), [
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    const mean = batch!.x.reduce((sum, v) => sum + v, 0) / batch!.x.length;
    const xsMean = tf.tidy(() => int.xs.mean().arraySync() as number);
    assert.ok(Math.abs(xsMean - mean) < 1e-4);
    tf.dispose([int.xs, int.ys, hot.xs, hot.ys]);
  });
});
