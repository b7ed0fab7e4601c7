// SQL writes of runs for RunStore: a new run, an epoch with its checkpoints, a run's own scores, and marking
// orphaned runs interrupted. Functions of the database handle, called inside RunStore's guard(); each
// multi-statement write is its own IMMEDIATE transaction (see RunStore for why IMMEDIATE).
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { toRunRecord } from './rows.js';
import { readRunRow } from './run-reads.js';
import type { CheckpointRecord, EpochRecord, NewRun, OwnScoreSource, RunRecord, ScoreRow } from './types.js';

const INTERRUPTED_MESSAGE =
  'The process running this run exited before it finished: it was killed or crashed, or the run database could not be written to record how it ended.';

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Marks 'running' runs whose process is gone as 'interrupted' (a crash, a kill, a power cut). `live`: the runs
 * this process has marked running and not finished, the only ones of its own still running.
 */
export function interruptOrphanRuns(db: Database.Database, live: ReadonlySet<number>): void {
  const running = db.prepare("SELECT id, owner_pid FROM runs WHERE status = 'running'").all() as { id: number; owner_pid: number | null }[];
  const orphans = running.filter(({ id, owner_pid: pid }) => (pid === null ? true : pid === process.pid ? !live.has(id) : !isProcessAlive(pid)));
  if (orphans.length === 0) return;
  const update = db.prepare(
    `UPDATE runs SET status = 'interrupted', finished_at = ?, error = COALESCE(error, ?), owner_pid = NULL
     WHERE id = ? AND status = 'running'`,
  );
  const now = new Date().toISOString();
  db.transaction(() => orphans.forEach(({ id }) => update.run(now, INTERRUPTED_MESSAGE, id))).immediate();
}

/** Inserts a run as 'queued'; `params` is its validated parameters as JSON. */
export function insertRun(db: Database.Database, input: NewRun, params: string): RunRecord {
  const result = db
    .prepare(
      `INSERT INTO runs (model, dataset_path, dataset_fingerprint, params, engine, status, created_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?)`,
    )
    .run(input.model, input.datasetPath, input.datasetFingerprint, params, input.engine, new Date().toISOString());
  return toRunRecord(readRunRow(db, Number(result.lastInsertRowid)));
}

/** Marks a run 'running' on `engine`, owned by this process; BAD_ARGUMENT unless it may start (see RunStore.markStarted). */
export function setRunRunning(db: Database.Database, id: number, engine: string): void {
  const { status } = readRunRow(db, id);
  if (status === 'running' || status === 'completed') {
    throw new UnmaskError('BAD_ARGUMENT', `Run ${id} cannot start: it is already ${status}`);
  }
  db.prepare(
    `UPDATE runs SET status = 'running', engine = ?, started_at = ?, finished_at = NULL, error = NULL, owner_pid = ?
       WHERE id = ?`,
  ).run(engine, new Date().toISOString(), process.pid, id);
}

/** Ends a 'queued' or 'running' run with `status` (finishedAt = now); BAD_ARGUMENT from any other status. */
export function setRunFinished(db: Database.Database, id: number, status: 'completed' | 'failed' | 'cancelled', error: string | undefined): void {
  const current = readRunRow(db, id).status;
  if (current !== 'queued' && current !== 'running') {
    throw new UnmaskError('BAD_ARGUMENT', `Run ${id} cannot be marked ${status}: it is already ${current}`);
  }
  db.prepare('UPDATE runs SET status = ?, finished_at = ?, error = ?, owner_pid = NULL WHERE id = ?').run(status, new Date().toISOString(), error ?? null, id);
}

/** Writes one (validated) epoch and its checkpoints in one transaction; NOT_FOUND for an unknown run. */
export function writeEpoch(db: Database.Database, id: number, epoch: EpochRecord, checkpoints: CheckpointRecord[]): void {
  const insertEpoch = db.prepare(
    `INSERT OR REPLACE INTO epochs
       (run_id, epoch, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, seconds, img_per_sec, val_auc, test_auc)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertCheckpoint = db.prepare(
    `INSERT INTO checkpoints (run_id, kind, epoch, path) VALUES (?, ?, ?, ?)
     ON CONFLICT (run_id, kind) DO UPDATE SET epoch = excluded.epoch, path = excluded.path`,
  );
  db.transaction(() => {
    readRunRow(db, id);
    const e = epoch;
    insertEpoch.run(
      id,
      e.epoch,
      e.trainLoss,
      e.trainAcc,
      e.valLoss,
      e.valAcc,
      e.testLoss,
      e.testAcc,
      e.seconds,
      e.imgPerSec,
      e.valAuc ?? null,
      e.testAuc ?? null,
    );
    for (const checkpoint of checkpoints) upsertCheckpoint.run(id, checkpoint.kind, checkpoint.epoch, checkpoint.path);
  }).immediate();
}

/**
 * Replaces a run's own (validated) scores for `split` with `rows`, whose AUC is `auc`, in one transaction; []
 * deletes them. Also clears the split's "missing" mark. NOT_FOUND for an unknown run.
 */
export function writeOwnScores(
  db: Database.Database,
  id: number,
  split: string,
  rows: ScoreRow[],
  auc: number | null,
  source: OwnScoreSource | undefined,
): void {
  const insert = db.prepare('INSERT INTO scores (run_id, split, idx, path, label, logit0, logit1, prob0, prob1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    readRunRow(db, id);
    db.prepare('DELETE FROM score_sets WHERE run_id = ? AND split = ?').run(id, split); // cascades to scores
    if (rows.length === 0) return;
    db.prepare('INSERT INTO score_sets (run_id, split, n, auc, saved_at, checkpoint_epoch) VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      split,
      rows.length,
      auc,
      new Date().toISOString(),
      source?.checkpointEpoch ?? null,
    );
    rows.forEach((row, i) => insert.run(id, split, i, row.path, row.label, row.logits[0], row.logits[1], row.probs[0], row.probs[1]));
    db.prepare('DELETE FROM own_scores_replaced WHERE run_id = ? AND split = ?').run(id, split);
  }).immediate();
}
