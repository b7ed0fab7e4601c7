// A recorded run without training: tiny symlinked folders of the shared faces and SimpleNet checkpoints from two seeds.
import fs from 'node:fs';
import path from 'node:path';
import { fingerprintDataset, scanDataset } from '../../main/data/index.js';
import { realImages } from '../../main/data/fixtures.js';
import { models } from '../../main/models/registry.js';
import type { RunStore } from '../../main/store/index.js';
import { saveCheckpoint } from '../../main/train/checkpoint.js';
import { FusedOptimizer } from '../../main/train/optimizers.js';

/** Symlinks `n` images of fakes_dataset's `split`/`cls`, from the `skip`-th (sorted) on, into `dir` as <cls><i>.jpg. */
export async function linkFaces(dir: string, split: string, cls: 'real' | 'fake', n: number, skip = 0): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  (await realImages(split, cls, skip + n)).slice(skip).forEach((src, i) => fs.symlinkSync(src, path.join(dir, `${cls}${i}.jpg`)));
}

export interface TinyRun {
  runId: number;
  /** The run's own folder: train 2/2, val 3/3, test 3/2 (real/fake). */
  own: string;
  /** test/{real,fake} alone, 2 real and 3 fake images none of `own` has. */
  testOnly: string;
  /** Flat real/ and fake/, 4 and 3 images none of the others have. */
  flat: string;
}

/**
 * Makes the folders under `dir` and records a completed 2-epoch SimpleNet run on `own` in `store`: best
 * checkpoint epoch 1, last epoch 2 (different weights). The engine must be initialised. Nothing is scored.
 */
export async function tinyRun(store: RunStore, dir: string): Promise<TinyRun> {
  const own = path.join(dir, 'own');
  const testOnly = path.join(dir, 'test-only');
  const flat = path.join(dir, 'flat');
  for (const [split, real, fake] of [
    ['train', 2, 2],
    ['val', 3, 3],
    ['test', 3, 2],
  ] as const) {
    await linkFaces(path.join(own, split, 'real'), split, 'real', real);
    await linkFaces(path.join(own, split, 'fake'), split, 'fake', fake);
  }
  await linkFaces(path.join(testOnly, 'test', 'real'), 'val', 'real', 2, 5);
  await linkFaces(path.join(testOnly, 'test', 'fake'), 'val', 'fake', 3, 5);
  await linkFaces(path.join(flat, 'real'), 'train', 'real', 4, 10);
  await linkFaces(path.join(flat, 'fake'), 'train', 'fake', 3, 10);
  const checkpoints = { best: path.join(dir, 'runs', 'tiny', 'best'), last: path.join(dir, 'runs', 'tiny', 'last') };
  for (const [kind, seed, epoch] of [
    ['best', 3, 1],
    ['last', 4, 2],
  ] as const) {
    const model = models.SimpleNet.create({ seed });
    const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
    saveCheckpoint(checkpoints[kind], model, optimizer, epoch);
    optimizer.dispose();
    model.dispose();
  }
  const params = { lr: 1e-3, batchSize: 4, epochs: 2, optimizer: 'Adam', seed: 0 };
  const fingerprint = await fingerprintDataset(await scanDataset(own));
  const runId = store.createRun({ model: 'SimpleNet', datasetPath: own, datasetFingerprint: fingerprint, params, engine: 'wasm' }).id;
  store.markStarted(runId, 'wasm');
  const epoch = (n: number) => ({
    epoch: n,
    trainLoss: 0.69,
    trainAcc: 50,
    valLoss: 0.7,
    valAcc: 60 - n,
    testLoss: 0.71,
    testAcc: 40,
    seconds: 1,
    imgPerSec: 4,
  });
  store.recordEpoch(runId, epoch(1), [
    { epoch: 1, kind: 'best', path: checkpoints.best },
    { epoch: 1, kind: 'last', path: checkpoints.best },
  ]);
  store.recordEpoch(runId, epoch(2), [{ epoch: 2, kind: 'last', path: checkpoints.last }]);
  store.finish(runId, 'completed');
  return { runId, own, testOnly, flat };
}
