// SQL reads of runs for RunStore: one run's row, its epochs, checkpoints and own scores, run summaries, its log. Kept
// apart from the store class so that it keeps only the run lifecycle, transactions and error mapping (guard()).
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { RUN_COLUMNS, toEpochRecord, toRunSummary, toScoreRow, type EpochRow, type RunSqlRow, type ScoreDbRow, type SummaryRow } from './rows.js';
import type { CheckpointRecord, EpochRecord, MissingOwnScores, OwnScoreSet, RunRecord, RunSummary, ScoreRow, SeedLog } from './types.js';

/** Every run's summary, or (`WHERE r.id = ?`) one run's. */
const summarySql = (where: string) => `
  SELECT ${RUN_COLUMNS},
    (SELECT COUNT(*) FROM epochs e WHERE e.run_id = r.id) AS epochs_done,
    (SELECT COALESCE(SUM(e.seconds), 0) FROM epochs e WHERE e.run_id = r.id) AS seconds,
    b.epoch AS best_epoch, b.val_acc AS best_val_acc, b.test_acc AS test_acc_at_best
  FROM runs r
  -- The best epoch is the one training kept as its best checkpoint (by validation accuracy, or AUC when the
  -- run selects by AUC); runs without one fall back to the best validation accuracy.
  LEFT JOIN epochs b ON b.run_id = r.id AND b.epoch = COALESCE(
    (SELECT c.epoch FROM checkpoints c WHERE c.run_id = r.id AND c.kind = 'best'),
    (SELECT e.epoch FROM epochs e WHERE e.run_id = r.id AND e.val_acc IS NOT NULL
     ORDER BY e.val_acc DESC, e.epoch ASC LIMIT 1))
  ${where}
  ORDER BY r.created_at DESC, r.id DESC`;

/** A run's row; NOT_FOUND if there is none with that id. */
export function readRunRow(db: Database.Database, id: number): RunSqlRow {
  const row = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`).get(id) as RunSqlRow | undefined;
  if (!row) throw new UnmaskError('NOT_FOUND', `No run with id ${id}`);
  return row;
}

/** A run's epochs, in epoch order. */
export function readEpochs(db: Database.Database, id: number): EpochRecord[] {
  const rows = db.prepare('SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch').all(id) as EpochRow[];
  return rows.map(toEpochRecord);
}

/** A run's checkpoints ('best' before 'last'). */
export function readCheckpoints(db: Database.Database, id: number): CheckpointRecord[] {
  return db.prepare('SELECT epoch, kind, path FROM checkpoints WHERE run_id = ? ORDER BY kind').all(id) as CheckpointRecord[];
}

/** A run's own scores for `split`, in the order saved. */
export function readOwnScores(db: Database.Database, id: number, split: string): ScoreRow[] {
  const rows = db
    .prepare('SELECT path, label, logit0, logit1, prob0, prob1 FROM scores WHERE run_id = ? AND split = ? ORDER BY idx')
    .all(id, split) as ScoreDbRow[];
  return rows.map(toScoreRow);
}

/** Every run's summary (`id` null), or one run's ([] for an unknown id), newest first. */
export function readSummaries(db: Database.Database, id: number | null): RunSummary[] {
  const only = id === null ? '' : 'WHERE run_id = ?';
  const args = id === null ? [] : [id];
  const own = new Map<number, OwnScoreSet[]>();
  const sets = db.prepare(`SELECT run_id, split, n, auc, checkpoint_epoch, saved_at FROM score_sets ${only} ORDER BY run_id, split`).all(...args) as {
    run_id: number;
    split: string;
    n: number;
    auc: number | null;
    checkpoint_epoch: number | null;
    saved_at: string;
  }[];
  for (const s of sets) {
    const list = own.get(s.run_id) ?? [];
    list.push({ split: s.split, n: s.n, auc: s.auc, checkpointEpoch: s.checkpoint_epoch, savedAt: s.saved_at });
    own.set(s.run_id, list);
  }
  const missing = new Map<number, MissingOwnScores[]>();
  const gaps = db.prepare(`SELECT run_id, split, reason, evaluation_id FROM own_scores_replaced ${only} ORDER BY run_id, split`).all(...args) as {
    run_id: number;
    split: string;
    reason: string;
    evaluation_id: number | null;
  }[];
  for (const g of gaps) missing.set(g.run_id, [...(missing.get(g.run_id) ?? []), { split: g.split, reason: g.reason, evaluationId: g.evaluation_id }]);
  const rows = db.prepare(summarySql(id === null ? '' : 'WHERE r.id = ?')).all(...args) as SummaryRow[];
  return rows.map((row) => toRunSummary(row, own.get(row.id) ?? [], missing.get(row.id) ?? []));
}

/** A run in the seed project's log format: one array entry per recorded epoch, in epoch order. */
export function toSeedLog(run: RunRecord, epochs: readonly EpochRecord[]): SeedLog {
  return {
    run: run.id,
    model: run.model,
    dataset: run.datasetPath,
    params: run.params,
    engine: run.engine,
    train_loss: epochs.map((e) => e.trainLoss),
    train_acc: epochs.map((e) => e.trainAcc),
    val_loss: epochs.map((e) => e.valLoss),
    val_acc: epochs.map((e) => e.valAcc),
    test_loss: epochs.map((e) => e.testLoss),
    test_acc: epochs.map((e) => e.testAcc),
  };
}
