// RunStore behaviour: run lifecycle, summaries, atomic epochs, checkpoints, scores, the seed log, crash recovery.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { RunStore, type CheckpointRecord, type EpochRecord, type ScoreRow, type TrainParams } from './index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-store-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshFile = () => path.join(root, `db${++counter}`, 'unmask.db');

const params: TrainParams = { lr: 1e-3, batchSize: 32, epochs: 4, optimizer: 'Adam', seed: 7, augment: { flip: true } };
const newRun = { model: 'SimpleNet', datasetPath: '/data/fakes', datasetFingerprint: 'sha256:abc', params, engine: 'wasm' };

/** An epoch whose every metric derives from (epoch, valAcc, testAcc). */
function epoch(n: number, valAcc: number, testAcc: number | null): EpochRecord {
  return {
    epoch: n,
    trainLoss: 1 / n,
    trainAcc: 50 + n,
    valLoss: 0.9 / n,
    valAcc,
    testLoss: testAcc === null ? null : 0.8 / n,
    testAcc,
    seconds: 10 + n,
    imgPerSec: 100 * n,
    valAuc: null,
    testAuc: null,
  };
}

const isCode = (code: string) => (error: unknown) => error instanceof UnmaskError && error.code === code;

describe('RunStore', () => {
  it('takes a run through queued → running → completed, with ISO datetimes', () => {
    const store = RunStore.open(freshFile());
    const created = store.createRun(newRun);
    assert.equal(created.status, 'queued');
    assert.deepEqual(created.params, params);
    assert.equal(created.datasetFingerprint, 'sha256:abc');
    assert.equal(new Date(created.createdAt).toISOString(), created.createdAt);
    assert.equal(created.startedAt, null);

    store.markStarted(created.id, 'native');
    const running = store.getRun(created.id);
    assert.equal(running.status, 'running');
    assert.equal(running.engine, 'native');
    assert.ok(running.startedAt && new Date(running.startedAt).toISOString() === running.startedAt);
    assert.throws(() => store.markStarted(created.id, 'native'), isCode('BAD_ARGUMENT'));

    store.finish(created.id, 'completed');
    const done = store.getRun(created.id);
    assert.equal(done.status, 'completed');
    assert.ok(done.finishedAt && done.finishedAt >= running.startedAt);
    assert.equal(done.error, null);
    assert.throws(() => store.finish(created.id, 'failed', 'late'), isCode('BAD_ARGUMENT'));

    const failed = store.createRun(newRun);
    store.markStarted(failed.id, 'wasm');
    store.finish(failed.id, 'failed', 'out of memory');
    assert.deepEqual([store.getRun(failed.id).status, store.getRun(failed.id).error], ['failed', 'out of memory']);
    store.close();
  });

  it('reports NOT_FOUND for unknown runs and BAD_ARGUMENT for invalid input', () => {
    const store = RunStore.open(freshFile());
    assert.throws(
      () => store.getRun(42),
      (e: unknown) => isCode('NOT_FOUND')(e) && /42/.test((e as Error).message),
    );
    assert.throws(() => store.getEpochs(42), isCode('NOT_FOUND'));
    assert.throws(() => store.markStarted(42, 'wasm'), isCode('NOT_FOUND'));
    assert.throws(() => store.recordEpoch(42, epoch(1, 50, null), []), isCode('NOT_FOUND'));
    assert.throws(() => store.saveScores(42, 'test', []), isCode('NOT_FOUND'));
    assert.throws(() => store.createRun({ ...newRun, params: { ...params, lr: Number.NaN } }), isCode('BAD_ARGUMENT'));
    assert.throws(() => store.createRun({ ...newRun, model: '' }), isCode('BAD_ARGUMENT'));
    const { id } = store.createRun(newRun);
    assert.throws(() => store.recordEpoch(id, epoch(0, 50, null), []), isCode('BAD_ARGUMENT'));
    store.close();
    assert.throws(
      () => store.getRun(id),
      (e: unknown) => e instanceof UnmaskError && /closed/.test(e.message),
    );
    store.close(); // twice is fine
  });

  it('lists runs newest first with summaries computed from their epochs and scores', () => {
    const store = RunStore.open(freshFile());
    const first = store.createRun(newRun);
    const second = store.createRun({ ...newRun, model: 'Xception' });
    // Best val 75 is reached at epochs 2 and 3: the earliest (2) wins, with its test acc 70.
    const epochs = [epoch(1, 60, 58), epoch(2, 75, 70), epoch(3, 75, 72), epoch(4, 70, 74)];
    for (const e of epochs) store.recordEpoch(first.id, e, []);

    const [newest, older] = store.listRuns();
    assert.equal(newest?.id, second.id);
    assert.deepEqual(
      [newest?.epochsDone, newest?.bestValAcc, newest?.bestEpoch, newest?.testAccAtBestVal, newest?.seconds, newest?.testAuc],
      [0, null, null, null, 0, null],
    );
    assert.equal(older?.id, first.id);
    assert.equal(older?.model, 'SimpleNet');
    assert.deepEqual(older?.params, params);
    assert.deepEqual(
      [older?.epochsDone, older?.bestValAcc, older?.bestEpoch, older?.testAccAtBestVal, older?.seconds, older?.testAuc],
      [4, 75, 2, 70, 11 + 12 + 13 + 14, null],
    );

    // A run that selects its best checkpoint by validation AUC reports that checkpoint's epoch, not the best accuracy's.
    const byAuc = store.createRun(newRun);
    store.recordEpoch(byAuc.id, { ...epoch(1, 80, 60), valAuc: 0.7 }, [{ epoch: 1, kind: 'best', path: '/c/best-1' }]);
    store.recordEpoch(byAuc.id, { ...epoch(2, 70, 65), valAuc: 0.9 }, [{ epoch: 2, kind: 'best', path: '/c/best-2' }]);
    const aucRun = store.listRuns().find((r) => r.id === byAuc.id)!;
    assert.deepEqual([aucRun.bestEpoch, aucRun.bestValAcc, aucRun.testAccAtBestVal], [2, 70, 65]);
    assert.deepEqual(
      store.getEpochs(byAuc.id).map((e) => e.valAuc),
      [0.7, 0.9],
    );

    // AUC: 'val' scores are listed as val's, never shown as a test AUC; the test AUC is the test scores'.
    const row = (label: 0 | 1, p: number): ScoreRow => ({ path: `${label}-${p}.png`, label, logits: [0, p], probs: [1 - p, p] });
    store.saveScores(first.id, 'val', [row(0, 0.2), row(1, 0.9)], { checkpointEpoch: 2 });
    const valOnly = store.listRuns().find((r) => r.id === first.id)!;
    assert.equal(valOnly.testAuc, null);
    assert.deepEqual(
      valOnly.ownScores.map((s) => [s.split, s.n, s.auc, s.checkpointEpoch]),
      [['val', 2, 1, 2]],
    );
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered correctly.
    store.saveScores(first.id, 'test', [row(0, 0.1), row(0, 0.4), row(1, 0.35), row(1, 0.8)]);
    assert.equal(store.listRuns().find((r) => r.id === first.id)?.testAuc, 0.75);
    // Ties count half: 0.5 vs 0.5.
    store.saveScores(first.id, 'test', [row(0, 0.5), row(1, 0.5)]);
    assert.equal(store.listRuns().find((r) => r.id === first.id)?.testAuc, 0.5);
    store.close();
  });

  it('records epochs with checkpoints, replacing the previous last/best', () => {
    const store = RunStore.open(freshFile());
    const { id } = store.createRun(newRun);
    const ckpt = (n: number, kind: 'last' | 'best'): CheckpointRecord => ({ epoch: n, kind, path: `/ck/${kind}-${n}` });
    store.recordEpoch(id, epoch(1, 60, null), [ckpt(1, 'last'), ckpt(1, 'best')]);
    store.recordEpoch(id, epoch(2, 55, null), [ckpt(2, 'last')]);
    assert.deepEqual(store.getCheckpoints(id), [ckpt(1, 'best'), ckpt(2, 'last')]);
    store.recordEpoch(id, epoch(3, 80, null), [ckpt(3, 'last'), ckpt(3, 'best')]);
    assert.deepEqual(store.getCheckpoints(id), [ckpt(3, 'best'), ckpt(3, 'last')]);
    assert.deepEqual(store.getEpochs(id), [epoch(1, 60, null), epoch(2, 55, null), epoch(3, 80, null)]);

    // A diverged epoch's NaN metrics round-trip; re-recording an epoch (a resume) replaces it.
    const diverged = { ...epoch(4, Number.NaN, null), trainLoss: Number.NaN };
    store.recordEpoch(id, diverged, []);
    assert.deepEqual(store.getEpochs(id).at(-1), diverged);
    store.recordEpoch(id, epoch(4, 81, null), []);
    assert.equal(store.getEpochs(id).length, 4);
    // The summary follows the best checkpoint training kept (epoch 3), not a better epoch recorded without one.
    assert.equal(store.listRuns()[0]?.bestValAcc, 80);
    store.close();
  });

  it('writes an epoch and its checkpoints atomically', () => {
    const store = RunStore.open(freshFile());
    const { id } = store.createRun(newRun);
    store.recordEpoch(id, epoch(1, 60, 50), [{ epoch: 1, kind: 'last', path: '/ck/1' }]);
    // The second checkpoint violates the kind CHECK constraint, after the epoch row was inserted.
    const bad = [
      { epoch: 2, kind: 'last', path: '/ck/2' },
      { epoch: 2, kind: 'bogus', path: '/ck/x' },
    ] as unknown as CheckpointRecord[];
    assert.throws(() => store.recordEpoch(id, epoch(2, 70, 60), bad), isCode('BAD_ARGUMENT'));
    assert.deepEqual(
      store.getEpochs(id).map((e) => e.epoch),
      [1],
    );
    assert.deepEqual(store.getCheckpoints(id), [{ epoch: 1, kind: 'last', path: '/ck/1' }]);
    store.close();
  });

  it('saves and replaces scores per run and split', () => {
    const store = RunStore.open(freshFile());
    const { id } = store.createRun(newRun);
    const rows: ScoreRow[] = Array.from({ length: 500 }, (_, i) => ({
      path: `/data/img-${i}.png`,
      label: (i % 2) as 0 | 1,
      logits: [-(i + 1) / 100, i / 100],
      probs: [1 - i / 500, i / 500],
    }));
    store.saveScores(id, 'test', rows);
    store.saveScores(id, 'val', rows.slice(0, 3));
    assert.deepEqual(store.getScores(id, 'test'), rows);
    assert.deepEqual(store.getScores(id, 'val'), rows.slice(0, 3));
    store.saveScores(id, 'test', rows.slice(10, 12));
    assert.deepEqual(store.getScores(id, 'test'), rows.slice(10, 12));
    assert.throws(() => store.saveScores(id, 'test', [{ ...rows[0]!, label: 2 as 0 }]), isCode('BAD_ARGUMENT'));
    assert.deepEqual(store.getScores(id, 'test'), rows.slice(10, 12)); // the rejected save changed nothing
    store.saveScores(id, 'test', []);
    assert.deepEqual(store.getScores(id, 'test'), []);
    assert.deepEqual(store.getScores(id, 'train'), []);
    store.close();
  });

  it('exports the seed log', () => {
    const store = RunStore.open(freshFile());
    const { id } = store.createRun(newRun);
    store.markStarted(id, 'wasm');
    store.recordEpoch(id, epoch(1, 60, 58), []);
    store.recordEpoch(id, epoch(2, 75, 70), []);
    assert.deepEqual(store.exportLog(id), {
      run: id,
      model: 'SimpleNet',
      dataset: '/data/fakes',
      params,
      engine: 'wasm',
      train_loss: [1, 0.5],
      train_acc: [51, 52],
      val_loss: [0.9, 0.45],
      val_acc: [60, 75],
      test_loss: [0.8, 0.4],
      test_acc: [58, 70],
    });
    const noTest = store.createRun(newRun);
    store.recordEpoch(noTest.id, epoch(1, 60, null), []);
    const log = store.exportLog(noTest.id);
    assert.deepEqual([log.test_loss, log.test_acc], [[null], [null]]);
    assert.deepEqual(Object.keys(log), [
      'run',
      'model',
      'dataset',
      'params',
      'engine',
      'train_loss',
      'train_acc',
      'val_loss',
      'val_acc',
      'test_loss',
      'test_acc',
    ]);
    store.close();
  });

  it("marks runs left 'running' by a dead process 'interrupted' on open, and leaves live ones alone", () => {
    const file = freshFile();
    const store = RunStore.open(file);
    const crashed = store.createRun(newRun);
    store.markStarted(crashed.id, 'wasm');
    const live = store.createRun(newRun);
    store.markStarted(live.id, 'wasm');
    const otherLive = store.createRun(newRun);
    const otherDead = store.createRun(newRun);
    const queued = store.createRun(newRun);

    // Runs started by other processes: the parent (alive) and an exited child.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const raw = new Database(file);
    const setOwner = raw.prepare("UPDATE runs SET status = 'running', started_at = '2024-01-01T00:00:00.000Z', owner_pid = ? WHERE id = ?");
    setOwner.run(process.ppid, otherLive.id);
    setOwner.run(Number(deadPid), otherDead.id);
    raw.close();

    // A second handle while `store` still runs `live`: only the dead child's run is an orphan.
    const second = RunStore.open(file);
    assert.equal(second.getRun(live.id).status, 'running');
    assert.equal(second.getRun(otherLive.id).status, 'running');
    assert.equal(second.getRun(otherDead.id).status, 'interrupted');
    second.close();

    // Closing without finishing is how a crash looks to this process.
    store.finish(live.id, 'completed');
    store.close();
    const reopened = RunStore.open(file);
    const interrupted = reopened.getRun(crashed.id);
    assert.equal(interrupted.status, 'interrupted');
    assert.ok(interrupted.finishedAt);
    assert.match(interrupted.error ?? '', /exited/);
    assert.equal(reopened.getRun(live.id).status, 'completed');
    assert.equal(reopened.getRun(queued.id).status, 'queued');
    assert.equal(reopened.getRun(otherLive.id).status, 'running');
    // An interrupted run can be resumed.
    reopened.markStarted(crashed.id, 'wasm');
    assert.deepEqual([reopened.getRun(crashed.id).status, reopened.getRun(crashed.id).error], ['running', null]);
    reopened.finish(crashed.id, 'cancelled');
    reopened.close();
  });

  it('ends a run on an error as failed or cancelled, and never hides the error when that cannot be recorded', () => {
    const file = freshFile();
    const store = RunStore.open(file);
    const failed = store.createRun(newRun);
    store.markStarted(failed.id, 'wasm');
    const cause = new UnmaskError('DISK_FULL', 'Cannot write checkpoint /x: the disk is full (ENOSPC).');
    assert.equal(store.endWithError(failed.id, cause), cause);
    assert.deepEqual([store.getRun(failed.id).status, store.getRun(failed.id).error], ['failed', cause.message]);
    const cancelled = store.createRun(newRun);
    store.markStarted(cancelled.id, 'wasm');
    store.endWithError(cancelled.id, new UnmaskError('CANCELLED', 'cancelled'));
    assert.deepEqual([store.getRun(cancelled.id).status, store.getRun(cancelled.id).error], ['cancelled', null]);

    // A store that refuses the write (here: closed) leaves the run 'running' for dead-run detection.
    const stuck = store.createRun(newRun);
    store.markStarted(stuck.id, 'wasm');
    store.close();
    const returned = store.endWithError(stuck.id, cause);
    assert.ok(returned instanceof UnmaskError && returned.code === 'DISK_FULL' && returned.cause === cause);
    assert.match(
      returned.message,
      /^Cannot write checkpoint \/x: the disk is full \(ENOSPC\)\. Run \d+ could not be marked failed either \(.*closed\); it will show as interrupted/,
    );
    const reopened = RunStore.open(file);
    assert.equal(reopened.getRun(stuck.id).status, 'interrupted');
    assert.match(reopened.getRun(stuck.id).error ?? '', /run database could not be written/);
    assert.equal(reopened.getRun(failed.id).status, 'failed');
    reopened.close();
    const plain = new Error('boom');
    const again = RunStore.open(file);
    again.close();
    const wrapped = again.endWithError(stuck.id, plain);
    assert.ok(wrapped instanceof UnmaskError && wrapped.code === 'INTERNAL' && wrapped.message.startsWith('boom Run'));
  });
});
