// Scoring end to end on a tiny symlinked dataset with a SimpleNet checkpoint, then `unmask score` / `unmask figures` as child processes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fingerprintDataset, scanDataset } from '../data/index.js';
import { realImages } from '../data/fixtures.js';
import { initEngine } from '../engine/select.js';
import { models } from '../models/registry.js';
import { RunStore } from '../store/index.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { FusedOptimizer } from '../train/optimizers.js';
import { scoreRun } from './score.js';
import { runUnmask, type CliResult } from '../../test/helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-score-'));
const root = path.join(tmp, 'tiny');
const dbFile = path.join(tmp, 'runs.db');
const counts = { train: [2, 2], val: [2, 2], test: [3, 2] } as const;
let store: RunStore;
let runId = 0;
let emptyRunId = 0;

/** {train,val,test}/{real,fake} of symlinks to the shared face images. */
async function tinyDataset(): Promise<void> {
  for (const [split, [real, fake]] of Object.entries(counts)) {
    for (const [cls, n] of [
      ['real', real],
      ['fake', fake],
    ] as const) {
      const dir = path.join(root, split, cls);
      fs.mkdirSync(dir, { recursive: true });
      (await realImages(split, cls, n)).forEach((src, i) => fs.symlinkSync(src, path.join(dir, `${cls}${i}.jpg`)));
    }
  }
}

before(async () => {
  await initEngine({ requested: 'wasm' });
  await tinyDataset();
  const checkpoint = path.join(tmp, 'runs', '1', 'best');
  const model = models.SimpleNet.create({ seed: 3 });
  const optimizer = new FusedOptimizer({ name: 'Adam', lr: 1e-3 });
  saveCheckpoint(checkpoint, model, optimizer, 1);
  optimizer.dispose();
  model.dispose();
  store = RunStore.open(dbFile);
  const params = { lr: 1e-3, batchSize: 4, epochs: 1, optimizer: 'Adam', seed: 0 };
  const fingerprint = await fingerprintDataset(await scanDataset(root));
  runId = store.createRun({ model: 'SimpleNet', datasetPath: root, datasetFingerprint: fingerprint, params, engine: 'wasm' }).id;
  store.markStarted(runId, 'wasm');
  const epoch = { epoch: 1, trainLoss: 0.69, trainAcc: 50, valLoss: 0.7, valAcc: 50, testLoss: 0.71, testAcc: 40, seconds: 1, imgPerSec: 4 };
  store.recordEpoch(runId, epoch, [
    { epoch: 1, kind: 'best', path: checkpoint },
    { epoch: 1, kind: 'last', path: checkpoint },
  ]);
  store.finish(runId, 'completed');
  emptyRunId = store.createRun({ model: 'SimpleNet', datasetPath: root, datasetFingerprint: fingerprint, params, engine: 'wasm' }).id;
});

after(() => {
  store?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function unmask(args: string[]): CliResult {
  return runUnmask(args, { timeout: 60_000 });
}

describe('scoreRun', () => {
  it('scores every test image with the best checkpoint and stores logits and softmax per image', async () => {
    const result = await scoreRun(store, runId, { split: 'test', checkpoint: 'best' });
    assert.equal(result.n, 5);
    assert.equal(result.split, 'test');
    assert.equal(result.checkpoint.kind, 'best');
    assert.equal(result.recordedAs, 'own');
    assert.deepEqual(
      store
        .listRuns()
        .find((r) => r.id === runId)!
        .ownScores.map((o) => [o.split, o.n, o.checkpointEpoch]),
      [['test', 5, 1]],
    );
    assert.equal(result.skipped.length, 0);
    assert.ok(result.summary);
    assert.deepEqual([result.summary.n, result.summary.positives, result.summary.negatives], [5, 2, 3]);
    const rows = store.getScores(runId, 'test');
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((r) => r.label).sort(), [0, 0, 0, 1, 1]);
    for (const row of rows) {
      assert.ok(Math.abs(row.probs[0] + row.probs[1] - 1) < 1e-5, `probs ${row.probs}`);
      // softmax of two logits: P(fake) = sigmoid(logit1 - logit0)
      assert.ok(Math.abs(row.probs[1] - 1 / (1 + Math.exp(row.logits[0] - row.logits[1]))) < 1e-5);
      assert.ok(path.isAbsolute(row.path) && row.path.startsWith(root));
    }
    assert.ok(store.listRuns().find((r) => r.id === runId)!.testAuc !== null);
  });

  it('small batches give the same scores; another checkpoint, a changed folder and bad requests are refused', async () => {
    const before = store.getScores(runId, 'test');
    await scoreRun(store, runId, { split: 'test', batchSize: 2 });
    const after = store.getScores(runId, 'test');
    after.forEach((row, i) => assert.ok(Math.abs(row.probs[1] - before[i]!.probs[1]) < 1e-4));
    const code = (c: string, pattern?: RegExp) => (e: Error & { code?: string }) => e.code === c && (!pattern || pattern.test(e.message));
    await assert.rejects(scoreRun(store, 999), code('NOT_FOUND'));
    await assert.rejects(scoreRun(store, emptyRunId), code('NOT_FOUND'));
    await assert.rejects(scoreRun(store, runId, { split: 'dev' as 'test' }), code('BAD_ARGUMENT'));
    await assert.rejects(scoreRun(store, runId, { batchSize: 0 }), code('BAD_ARGUMENT'));
    await assert.rejects(scoreRun(store, runId, { checkpoint: 'last' as 'best' }), code('BAD_ARGUMENT', /evaluation/));
    // A folder whose content is not what the run trained on cannot give the run's own scores.
    const changed = store.createRun({
      model: 'SimpleNet',
      datasetPath: root,
      datasetFingerprint: 'sha256:other',
      params: store.getRun(runId).params,
      engine: 'wasm',
    });
    store.recordEpoch(
      changed.id,
      { epoch: 1, trainLoss: 0.7, trainAcc: 50, valLoss: 0.7, valAcc: 50, testLoss: 0.7, testAcc: 50, seconds: 1, imgPerSec: 1 },
      store.getCheckpoints(runId),
    );
    await assert.rejects(scoreRun(store, changed.id), code('DATASET_INVALID', /no longer holds the images run \d+ was trained on.*unmask evaluate/));
    assert.deepEqual(store.getScores(changed.id, 'test'), []);
  });
});

describe('unmask score / unmask figures', () => {
  it('score prints one JSON line and stores the val scores', () => {
    store.close();
    const r = unmask(['score', '--run', String(runId), '--split', 'val', '--db', dbFile]);
    store = RunStore.open(dbFile);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as { n: number; split: string; summary: { n: number } };
    assert.deepEqual([out.n, out.split, out.summary.n], [4, 'val', 4]);
    assert.equal(store.getScores(runId, 'val').length, 4);
    assert.match(unmask(['score', '--db', dbFile]).stderr, /BAD_ARGUMENT/);
  });

  it('figures writes every figure of a scored run and says why the others were skipped', () => {
    const out = path.join(tmp, 'figures');
    const r = unmask(['figures', '--runs', `${runId},${emptyRunId}`, '--out', out, '--db', dbFile]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!) as { files: string[]; skipped: { figures: string[]; reason: string }[] };
    const expected = ['loss', 'accuracy', `roc-${runId}`, `det-${runId}`, `confusion-${runId}`, `histogram-${runId}`, 'frontier'].flatMap((n) => [
      `${n}.svg`,
      `${n}.png`,
    ]);
    expected.push('samples-tiny.png');
    assert.deepEqual(result.files.map((f) => path.basename(f)).sort(), expected.sort());
    for (const f of result.files) assert.ok(fs.statSync(f).size > 500, f);
    assert.ok(fs.readFileSync(path.join(out, `roc-${runId}.svg`), 'utf8').startsWith('<svg'));
    const reasons = result.skipped.map((s) => s.reason).join('\n');
    assert.match(reasons, new RegExp(`unmask score --run ${emptyRunId}`));
    assert.match(reasons, new RegExp(`run ${emptyRunId} has no finished epoch`));
    assert.ok(result.skipped.some((s) => s.figures.includes(`roc-${emptyRunId}`)));
    const missing = unmask(['figures', '--runs', '999', '--out', out, '--db', dbFile]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NOT_FOUND/);
  });
});
