// Frozen-backbone fine-tuning end to end on a tiny symlinked subset: cache reuse, recorded metrics, checkpoints, resume.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceDataset, linkSubset } from '../data/index.js';
import { syntheticDataset } from '../data/fixtures.js';
import { UnmaskError } from '../engine/errors.js';
import { initEngine } from '../engine/select.js';
import { scoreRun, scoreWithCheckpoint } from '../analysis/score.js';
import { RunStore } from '../store/index.js';
import { resumeRun, trainRun, type TrainEvent, type TrainOutcome } from './session.js';
import { checkTrainRequest } from './request.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-frozen-'));
const dataset = path.join(tmp, 'synthetic');
const cacheRoot = path.join(tmp, 'feature-cache');
const runsDir = path.join(tmp, 'runs');
let store: RunStore;

const request = (epochs = 2) =>
  checkTrainRequest({ dataset, model: 'MobileNetBased', optimizer: 'Adam', lr: 1e-3, batchSize: 4, epochs, seed: 3, freezeBackbone: true });

async function train(epochs = 2, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainOutcome> {
  return trainRun(store, request(epochs), { runsDir, featureCacheDir: cacheRoot, onEvent, signal });
}

before(async () => {
  await initEngine({ requested: 'wasm' });
  linkSubset(syntheticDataset, dataset, 6);
  store = RunStore.open(path.join(tmp, 'unmask.db'));
});
after(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('frozen-backbone training (MobileNetBased)', () => {
  let first: TrainOutcome;

  it('computes each view once, caches it by weights and content hash, and trains the head', async () => {
    const phases = new Set<string>();
    first = await train(2, (e) => {
      if (e.type === 'features') phases.add(e.split);
    });
    // 12 train images × 2 augmented views + 12 val + 12 test plain views.
    assert.deepEqual([first.features?.computed, first.features?.cached], [48, 0]);
    assert.deepEqual([...phases], ['train', 'val', 'test']);
    const files = fs.readdirSync(path.join(cacheRoot, first.features!.weightsHash));
    assert.equal(files.length, 48);
    assert.ok(
      files.every((f) => /^[0-9a-f]{64}-(plain|aug[01])\.f32$/.test(f)),
      files[0],
    );
    assert.equal(fs.statSync(path.join(cacheRoot, first.features!.weightsHash, files[0]!)).size, 8928 * 4);

    const run = store.getRun(first.run);
    assert.deepEqual(
      { pretrained: run.params.pretrained, source: run.params.pretrainedSource, freeze: run.params.freezeBackbone, views: run.params.featureViews },
      { pretrained: true, source: 'imagenet:mobilenet_v1_0.75_224', freeze: true, views: 2 },
    );
    const epochs = store.getEpochs(first.run);
    assert.equal(epochs.length, 2);
    for (const e of epochs) {
      for (const v of [e.trainLoss, e.trainAcc, e.valLoss, e.valAcc, e.testLoss!, e.testAcc!]) assert.ok(Number.isFinite(v));
    }
  });

  it('--augment deepfake caches its own views; --balanced-batches balances the pseudo-fakes too', async () => {
    const trainBatches = new Set<number>();
    const outcome = await trainRun(store, checkTrainRequest({ ...request(1), augment: 'deepfake', balancedBatches: true, selfBlend: 'mix' }), {
      runsDir,
      featureCacheDir: cacheRoot,
      onEvent: (e) => {
        if (e.type === 'batch' && e.phase === 'train') trainBatches.add(e.batches);
      },
    });
    // New: 12 train images × 2 deepfake views and the 6 real ones' 2 pseudo-fakes; val and test come from the cache.
    assert.deepEqual([outcome.features?.computed, outcome.features?.cached], [36, 24]);
    const files = fs.readdirSync(path.join(cacheRoot, outcome.features!.weightsHash));
    assert.equal(files.filter((f) => /-dfa[01]\.f32$/.test(f)).length, 24);
    // 6 real images against 6 fakes + 6 pseudo-fakes: 24 entries in balanced batches of 4 (18 would be 5 batches).
    assert.deepEqual([...trainBatches], [6]);
    const params = store.getRun(outcome.run).params;
    assert.deepEqual([params.augment, params.balancedBatches], ['deepfake', true]);
    assert.throws(() => checkTrainRequest({ ...request(1), augment: 'deepfake', trainViews: 'mirror' }), /caches no augmented view/);
    assert.throws(() => checkTrainRequest({ dataset, model: 'XceptionStats', headFit: 'ridge', balancedBatches: true }), /no batches to balance/);
  });

  it('--head-fit ridge: only for a linear head on the frozen backbone, in one epoch (set when the request names none)', () => {
    assert.throws(() => checkTrainRequest({ ...request(1), headFit: 'ridge' }), /MobileNetBased's head is not one/);
    const stats = { dataset, model: 'XceptionStats', headFit: 'ridge' } as const;
    const checked = checkTrainRequest(stats);
    assert.deepEqual([checked.epochs, checked.freezeBackbone, checked.headFit], [1, true, 'ridge']);
    assert.throws(() => checkTrainRequest({ ...stats, epochs: 5 }), /in closed form in one epoch: use -e 1, not 5/);
    assert.throws(() => checkTrainRequest({ ...stats, freezeBackbone: false }), /fitted on the frozen backbone: drop --no-freeze-backbone/);
    assert.throws(() => checkTrainRequest({ ...stats, unfreezeBlocks: 2 }), /fitted on the frozen backbone: drop --unfreeze-blocks/);
    assert.throws(() => checkTrainRequest({ ...stats, headFit: 'lasso' as never }), /unknown head fit "lasso"; choose one of gradient, ridge/);
  });

  it('--train-views mirror: trains on each image and its mirror image, the very views a --tta-flip evaluation reads', async () => {
    const mirrored = await trainRun(store, checkTrainRequest({ ...request(1), ttaFlip: true, trainViews: 'mirror' }), { runsDir, featureCacheDir: cacheRoot });
    // Train, val and test: 12 images each, plain + flip; the plain views of val and test were cached by the first run.
    assert.deepEqual([mirrored.features?.computed, mirrored.features?.cached], [12 * 2 + 24, 24]);
    const files = fs.readdirSync(path.join(cacheRoot, mirrored.features!.weightsHash));
    assert.equal(files.filter((f) => f.endsWith('-flip.f32')).length, 36);
    assert.equal(store.getRun(mirrored.run).params.trainViews, 'mirror');
    assert.throws(
      () => checkTrainRequest({ ...request(1), trainViews: 'crops' as never }),
      /unknown train views "crops"; choose one of augmented, mirror, plain/,
    );
  });

  it('reuses the cache on a second run (no recomputation) and reproduces the metrics', async () => {
    const second = await train(2);
    assert.deepEqual([second.features?.computed, second.features?.cached], [0, 48]);
    assert.equal(second.features?.weightsHash, first.features?.weightsHash);
    const strip = (id: number) => store.getEpochs(id).map(({ seconds: _s, imgPerSec: _r, ...rest }) => rest);
    assert.deepEqual(strip(second.run), strip(first.run));
  });

  it('saves the whole detector: its checkpoint scores the images to the recorded test accuracy, from the cache and by full forward passes', async () => {
    const keys = fs.readdirSync(cacheRoot).sort();
    const scored = await scoreRun(store, first.run, { split: 'test', checkpoint: 'best' });
    // Under the key training wrote (a model created for scoring, without the run's seed, must not get another one).
    assert.deepEqual(fs.readdirSync(cacheRoot).sort(), keys);
    const best = store.getEpochs(first.run).find((e) => e.epoch === first.bestEpoch)!;
    assert.equal(scored.n, 12);
    assert.ok(Math.abs(100 * scored.summary!.accuracy - best.testAcc!) < 1e-9, `${scored.summary!.accuracy} vs ${best.testAcc}`);
    // scoreRun read the cached features; the whole checkpointed model, image by image, gives the same probabilities.
    const set = new FaceDataset(
      store.getScores(first.run, 'test').map((r) => ({ path: r.path, label: r.label })),
      'test',
    );
    const full = await scoreWithCheckpoint(store.getRun(first.run), scored.checkpoint, set);
    const cached = new Map(store.getScores(first.run, 'test').map((r) => [r.path, r.probs[1]]));
    for (const r of full.rows) assert.ok(Math.abs(r.probs[1] - cached.get(r.path)!) < 1e-5, `${r.path}: ${r.probs[1]} vs ${cached.get(r.path)}`);
  });

  it('resumes a cancelled frozen run to the uninterrupted metrics', async () => {
    const controller = new AbortController();
    await assert.rejects(
      train(
        2,
        (e) => {
          if (e.type === 'epoch' && e.metrics.epoch === 1) controller.abort();
        },
        controller.signal,
      ),
      (e: unknown) => e instanceof UnmaskError && e.code === 'CANCELLED',
    );
    const cancelled = store.listRuns().find((r) => r.status === 'cancelled')!;
    const resumed = await resumeRun(store, cancelled.id, { runsDir, featureCacheDir: cacheRoot });
    assert.equal(resumed.features?.computed, 0);
    const last = (id: number) => store.getEpochs(id).at(-1)!;
    assert.equal(last(resumed.run).valLoss, last(first.run).valLoss);
    assert.equal(last(resumed.run).trainLoss, last(first.run).trainLoss);
  });

  it('unfreezes the last block: resumed after a cancel, it ends exactly where an uninterrupted run does', async () => {
    const partial = (epochs: number) =>
      checkTrainRequest({ ...request(epochs), unfreezeBlocks: 1, selectBy: 'auc', schedule: 'cosine', warmupEpochs: 1, selfBlend: 'mix' });
    const whole = await trainRun(store, partial(2), { runsDir, featureCacheDir: cacheRoot });
    // 12 train views × 2 + 6 real images' pseudo-fakes × 2 + 12 val + 12 test, all at the cut (half precision).
    assert.equal(whole.features!.computed + whole.features!.cached, 60);
    const files = fs.readdirSync(path.join(cacheRoot, whole.features!.weightsHash));
    assert.ok(
      files.every((f) => /-(plain|aug[01]|sbl[01])\.f16$/.test(f)),
      files[0],
    );
    assert.equal(store.getRun(whole.run).params.unfreezeBlocks, 1);
    assert.ok(store.getEpochs(whole.run).every((e) => e.valAuc != null && e.testAuc != null));

    const controller = new AbortController();
    await assert.rejects(
      trainRun(store, partial(2), {
        runsDir,
        featureCacheDir: cacheRoot,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'epoch' && e.metrics.epoch === 1) controller.abort();
        },
      }),
      (e: unknown) => e instanceof UnmaskError && e.code === 'CANCELLED',
    );
    const cancelled = store.listRuns().find((r) => r.status === 'cancelled')!;
    const resumed = await resumeRun(store, cancelled.id, { runsDir, featureCacheDir: cacheRoot });
    assert.equal(resumed.features?.computed, 0);
    const strip = (id: number) => store.getEpochs(id).map(({ seconds: _s, imgPerSec: _r, ...rest }) => rest);
    assert.deepEqual(strip(resumed.run), strip(whole.run));
    assert.deepEqual(
      store.getCheckpoints(resumed.run).map((c) => [c.kind, c.epoch]),
      store.getCheckpoints(whole.run).map((c) => [c.kind, c.epoch]),
    );
  });

  it('checks the backbone options against the model', () => {
    const base = { dataset, optimizer: 'Adam' as const };
    assert.throws(() => checkTrainRequest({ ...base, model: 'SimpleNet', freezeBackbone: true }), /SimpleNet has no pretrained backbone/);
    assert.throws(() => checkTrainRequest({ ...base, model: 'MobileNetBased', pretrained: false, freezeBackbone: true }), /needs the pretrained backbone/);
    assert.equal(checkTrainRequest({ ...base, model: 'MobileNetBased' }).featureViews, 2);
    assert.equal(checkTrainRequest({ ...base, model: 'SimpleNet' }).featureViews, undefined);
    assert.throws(() => checkTrainRequest({ ...base, model: 'SimpleNet', unfreezeBlocks: 1 }), /SimpleNet has no pretrained backbone blocks/);
    assert.throws(() => checkTrainRequest({ ...base, model: 'MobileNetBased', unfreezeBlocks: 13 }), /13 backbone blocks: unfreeze 1 to 12/);
    assert.throws(() => checkTrainRequest({ ...base, model: 'MobileNetBased', unfreezeBlocks: 2, freezeBackbone: false }), /contradicts/);
    assert.throws(() => checkTrainRequest({ ...base, model: 'MobileNetBased', weightDecay: 0.1 }), /Adam has no weight decay/);
    assert.throws(() => checkTrainRequest({ ...base, model: 'MobileNetBased', unfreezeBlocks: 'all', selfBlend: 'mix' }), /not 'all'/);
    assert.equal(checkTrainRequest({ ...base, model: 'MobileNetBased', unfreezeBlocks: 'all' }).freezeBackbone, false);
    assert.equal(checkTrainRequest({ ...base, model: 'MobileNetBased', unfreezeBlocks: 3 }).freezeBackbone, true);
  });
});
