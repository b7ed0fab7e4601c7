// Evaluations in the run store: saved by key beside a run's own scores, and the schema-4 migration that moves
// score sets older versions let another scoring replace, keeping every row.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { MIGRATIONS, RunStore, SCHEMA_VERSION, type NewEvaluation, type ScoreRow } from './index.js';
import { datasetRootOf } from './migrate-v4.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-evaluations-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshFile = () => path.join(root, `db${++counter}.db`);
const isCode = (code: string) => (error: unknown) => error instanceof UnmaskError && error.code === code;

const params = { lr: 1e-3, batchSize: 8, epochs: 3, optimizer: 'Adam', seed: 0 };
const row = (file: string, label: 0 | 1, p: number): ScoreRow => ({ path: file, label, logits: [Math.log(1 - p), Math.log(p)], probs: [1 - p, p] });

describe('RunStore evaluations', () => {
  it('keeps each scoring apart by run, fingerprint, split, checkpoint epoch and preprocessing; the same key is re-measured in place', () => {
    const file = freshFile();
    const store = RunStore.open(file);
    const run = store.createRun({ model: 'SimpleNet', datasetPath: '/data/synthetic', datasetFingerprint: 'sha256:run', params, engine: 'wasm' });
    const own = [row('/data/synthetic/test/real/a.png', 0, 0.1), row('/data/synthetic/test/fake/b.png', 1, 0.9)];
    store.saveScores(run.id, 'test', own, { checkpointEpoch: 2 });
    const rows = [row('/other/real/a.png', 0, 0.7), row('/other/real/b.png', 0, 0.2), row('/other/fake/c.png', 1, 0.6)];
    const base: NewEvaluation = {
      runId: run.id,
      datasetPath: '/other',
      datasetFingerprint: 'sha256:other',
      split: 'all',
      checkpoint: 'best',
      checkpointEpoch: 2,
      preprocess: 'none',
      rows,
      metrics: { auc: 0.5 },
      engine: 'wasm',
      skipped: 1,
    };
    const first = store.saveEvaluation(base);
    assert.deepEqual([first.n, first.auc, first.skipped, first.origin, first.checkpoint, first.checkpointEpoch], [3, 0.5, 1, 'evaluated', 'best', 2]);
    assert.deepEqual(first.metrics, { auc: 0.5 });
    const again = store.saveEvaluation({ ...base, rows: rows.slice(1), metrics: { auc: 1 } });
    assert.equal(again.id, first.id);
    assert.equal(again.n, 2);
    const last = store.saveEvaluation({ ...base, checkpoint: 'last', checkpointEpoch: 3 });
    const otherSplit = store.saveEvaluation({ ...base, split: 'test' });
    assert.equal(new Set([first.id, last.id, otherSplit.id]).size, 3);
    assert.deepEqual(
      store
        .listEvaluations({ runId: run.id })
        .map((e) => e.id)
        .sort(),
      [first.id, last.id, otherSplit.id].sort(),
    );
    assert.deepEqual(store.getEvaluationScores(last.id), rows);
    // The run's own scores are untouched by any of it.
    assert.deepEqual(store.getScores(run.id, 'test'), own);
    assert.equal(store.listRuns()[0]!.testAuc, 1);

    assert.throws(() => store.saveEvaluation({ ...base, runId: 99 }), isCode('NOT_FOUND'));
    assert.throws(() => store.saveEvaluation({ ...base, rows: [] }), isCode('BAD_ARGUMENT'));
    assert.throws(() => store.saveEvaluation({ ...base, split: 'dev' as 'all' }), isCode('BAD_ARGUMENT'));
    assert.throws(() => store.saveEvaluation({ ...base, checkpoint: null }), isCode('BAD_ARGUMENT'));
    assert.throws(() => store.getEvaluation(12345), isCode('NOT_FOUND'));
    store.close();

    const reopened = RunStore.open(file);
    assert.equal(reopened.listEvaluations().length, 3);
    assert.deepEqual(reopened.getEvaluationScores(first.id), rows.slice(1));
    reopened.close();
  });

  it('finds the dataset folder of moved scores', () => {
    assert.equal(datasetRootOf(['/d/fakes/test/real/a.jpg', '/d/fakes/test/fake/b.jpg']), '/d/fakes');
    assert.equal(datasetRootOf(['/d/mine/real/a.jpg', '/d/mine/fake/x/b.jpg']), '/d/mine');
    assert.equal(datasetRootOf(['/d/one/a.jpg']), '/d/one');
  });
});

/** A schema-3 database as the previous version left it, after the README's study and some re-scoring. */
function olderDatabase(file: string): void {
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, 3)) db.exec(m.up as string);
  db.pragma('user_version = 3');
  const run = db.prepare(
    `INSERT INTO runs (model, dataset_path, dataset_fingerprint, params, engine, status, created_at) VALUES (?, ?, 'fp', ?, 'native', 'completed', ?)`,
  );
  const epoch = db.prepare(
    'INSERT INTO epochs (run_id, epoch, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, seconds, img_per_sec, val_auc, test_auc) VALUES (?, ?, 0.5, 80, 0.6, ?, 0.6, 70, 10, 50, ?, ?)',
  );
  const checkpoint = db.prepare('INSERT INTO checkpoints VALUES (?, ?, ?, ?)');
  const set = db.prepare("INSERT INTO score_sets (run_id, split, n, auc, saved_at) VALUES (?, ?, ?, ?, '2025-01-01T00:00:00.000Z')");
  const score = db.prepare('INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const addSet = (runId: number, split: string, rows: ScoreRow[], auc: number) => {
    set.run(runId, split, rows.length, auc);
    rows.forEach((r, i) => score.run(runId, split, i, r.path, r.label, r.logits[0], r.logits[1], r.probs[0], r.probs[1]));
  };
  const params = JSON.stringify({ lr: 1e-3, batchSize: 8, epochs: 3, optimizer: 'Adam', seed: 0 });
  for (let id = 1; id <= 4; id++) {
    run.run('SimpleNet', `/data/synthetic-${id}`, params, `2025-01-0${id}T00:00:00.000Z`);
    // Best checkpoint at epoch 2 (test AUC 0.954), last at epoch 3 (test AUC 0.90); run 4 predates recorded AUCs.
    for (const [e, valAcc, valAuc, testAuc] of [
      [1, 60, 0.8, 0.85],
      [2, 75, 0.95, 0.954],
      [3, 70, 0.93, 0.9],
    ] as const) {
      epoch.run(id, e, valAcc, id === 4 ? null : valAuc, id === 4 ? null : testAuc);
    }
    checkpoint.run(id, 'best', 2, `/runs/${id}/best`);
    checkpoint.run(id, 'last', 3, `/runs/${id}/last`);
  }
  const own = (id: number, split: string, n: number) =>
    Array.from({ length: n }, (_, i) => row(`/data/synthetic-${id}/${split}/${i % 2 ? 'fake' : 'real'}/${i}.png`, (i % 2) as 0 | 1, (i + 1) / (n + 1)));
  // Run 1: `score --dataset OTHER --split test` replaced its test scores with another folder's (AUC 0.433).
  addSet(1, 'val', own(1, 'val', 4), 0.95);
  addSet(
    1,
    'test',
    Array.from({ length: 6 }, (_, i) => row(`/data/other/test/${i % 2 ? 'fake' : 'real'}/${i}.png`, (i % 2) as 0 | 1, 0.5)),
    0.433,
  );
  // Run 2: `score --checkpoint last` replaced the best checkpoint's test scores with the last's (AUC 0.90).
  addSet(2, 'test', own(2, 'test', 6), 0.9);
  // Run 3: its own test scores (AUC 0.954, the best epoch's); run 4: no recorded AUC to compare with.
  addSet(3, 'test', own(3, 'test', 6), 0.954);
  addSet(4, 'test', own(4, 'test', 5), 0.7);
  db.close();
}

const count = (file: string, table: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('the schema-4 migration', () => {
  it("moves replaced own scores into evaluations, keeping every row, and marks the run's own scores missing", () => {
    const file = freshFile();
    olderDatabase(file);
    const before = Object.fromEntries(['runs', 'epochs', 'checkpoints', 'scores', 'score_sets'].map((t) => [t, count(file, t)]));
    const oldRows = (() => {
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT run_id, split, idx, path, label, prob1 FROM scores ORDER BY run_id, split, idx').all();
      db.close();
      return rows as { run_id: number; split: string; idx: number; path: string; label: number; prob1: number }[];
    })();

    const store = RunStore.open(file);
    store.close();
    assert.equal(count(file, 'runs'), before.runs);
    assert.equal(count(file, 'epochs'), before.epochs);
    assert.equal(count(file, 'checkpoints'), before.checkpoints);
    // Every score row is still there: the run's own, or moved into an evaluation.
    assert.equal(count(file, 'scores') + count(file, 'evaluation_scores'), before.scores);
    assert.equal(count(file, 'score_sets') + count(file, 'evaluations'), before.score_sets);

    const reopened = RunStore.open(file);
    const runs = new Map(reopened.listRuns().map((r) => [r.id, r]));
    // Run 1: its test AUC is missing (never the other folder's 0.433); val stays its own.
    assert.equal(runs.get(1)!.testAuc, null);
    assert.deepEqual(
      runs.get(1)!.ownScores.map((s) => [s.split, s.auc, s.checkpointEpoch]),
      [['val', 0.95, null]],
    );
    const [missing1] = runs.get(1)!.missingOwnScores;
    assert.equal(missing1!.split, 'test');
    assert.match(missing1!.reason, /another folder \(\/data\/other\)/);
    const moved1 = reopened.getEvaluation(missing1!.evaluationId!);
    assert.deepEqual(
      [moved1.runId, moved1.datasetPath, moved1.split, moved1.checkpoint, moved1.n, moved1.auc, moved1.origin],
      [1, '/data/other', 'test', null, 6, 0.433, 'migrated'],
    );
    // Run 2: the last checkpoint's scores, recognised by the AUC training recorded for epoch 3.
    assert.equal(runs.get(2)!.testAuc, null);
    const moved2 = reopened.getEvaluation(runs.get(2)!.missingOwnScores[0]!.evaluationId!);
    assert.deepEqual([moved2.datasetPath, moved2.checkpoint, moved2.checkpointEpoch, moved2.auc], ['/data/synthetic-2', 'last', 3, 0.9]);
    assert.match(runs.get(2)!.missingOwnScores[0]!.reason, /last checkpoint \(epoch 3\).*0\.9540.*best checkpoint \(epoch 2\)/);
    // Runs 3 and 4 keep their scores (nothing shows they are not their own).
    assert.equal(runs.get(3)!.testAuc, 0.954);
    assert.deepEqual(runs.get(3)!.missingOwnScores, []);
    assert.equal(runs.get(4)!.testAuc, 0.7);
    // The moved rows are the old rows, in their old order.
    for (const [moved, runId] of [
      [moved1, 1],
      [moved2, 2],
    ] as const) {
      const old = oldRows.filter((r) => r.run_id === runId && r.split === 'test');
      assert.deepEqual(
        reopened.getEvaluationScores(moved.id).map((r) => [r.path, r.label, r.probs[1]]),
        old.map((r) => [r.path, r.label, r.prob1]),
      );
    }
    assert.equal(reopened.getScores(1, 'test').length, 0);

    // Scoring the run's own test split again fills the gap.
    reopened.saveScores(1, 'test', [row('/data/synthetic-1/test/real/0.png', 0, 0.2), row('/data/synthetic-1/test/fake/1.png', 1, 0.8)], {
      checkpointEpoch: 2,
    });
    const rescored = reopened.listRuns().find((r) => r.id === 1)!;
    assert.deepEqual([rescored.testAuc, rescored.missingOwnScores.length], [1, 0]);
    assert.equal(reopened.listEvaluations({ runId: 1 }).length, 1); // the moved scores stay, as an evaluation
    reopened.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
  });
});
