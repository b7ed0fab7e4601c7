// RunStore: the persistent record of training runs, their per-epoch metrics, checkpoints and per-image scores.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { openDatabase, storeError } from './open.js';
import {
  RUN_COLUMNS,
  scoresAuc,
  toEpochRecord,
  toRunRecord,
  toRunSummary,
  toScoreRow,
  validateEpoch,
  validateNewRun,
  validateScores,
  type EpochRow,
  type RunSqlRow,
  type ScoreDbRow,
  type SummaryRow,
} from './rows.js';
import { getEvaluation, getEvaluationScores, listEvaluations, saveEvaluation } from './evaluation-table.js';
import { getJob, getSetting, insertJob, listJobs, setSetting, updateJob } from './job-table.js';
import type {
  CheckpointRecord,
  EpochRecord,
  EvaluationRecord,
  JobRecord,
  JobState,
  JobUpdate,
  MissingOwnScores,
  NewEvaluation,
  NewJob,
  NewRun,
  OwnScoreSet,
  OwnScoreSource,
  RunRecord,
  RunSummary,
  ScoreRow,
  SeedLog,
} from './types.js';

/** Runs this process has marked running and not yet finished, per database file (realpath). */
const liveRuns = new Map<string, Set<number>>();

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

const INTERRUPTED_MESSAGE =
  'The process running this run exited before it finished: it was killed or crashed, or the run database could not be written to record how it ended.';

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

/**
 * The run store over one SQLite file (WAL mode, so a trainer process can write while the app reads). Write
 * transactions are IMMEDIATE: one that began as a read could not take the write lock once another process had
 * written (SQLITE_BUSY at once, no waiting), so each takes it first and waits its turn.
 * Every method throws UnmaskError: NOT_FOUND for an unknown run id, BAD_ARGUMENT for invalid input,
 * STORE_READONLY / STORE_DAMAGED when the file cannot be written / read.
 */
export class RunStore {
  private readonly started = new Set<number>();
  private readonly live: Set<number>;

  private constructor(
    private readonly db: Database.Database,
    /** The database file's absolute path. */
    readonly file: string,
  ) {
    const key = fs.realpathSync(file);
    this.live = liveRuns.get(key) ?? new Set<number>();
    liveRuns.set(key, this.live);
  }

  /**
   * Opens or creates the store at `file` (parent folders created), migrating it to the current schema.
   * Runs left 'running' by a process that no longer exists become 'interrupted'.
   */
  static open(file: string): RunStore {
    const absolute = path.resolve(file);
    const db = openDatabase(absolute);
    try {
      const store = new RunStore(db, absolute);
      store.interruptOrphans();
      return store;
    } catch (error) {
      db.close();
      throw storeError(error, absolute);
    }
  }

  /** Marks 'running' runs whose process is gone as 'interrupted' (a crash, a kill, a power cut). */
  private interruptOrphans(): void {
    this.guard(() => {
      const running = this.db.prepare("SELECT id, owner_pid FROM runs WHERE status = 'running'").all() as { id: number; owner_pid: number | null }[];
      const orphans = running.filter(({ id, owner_pid: pid }) =>
        pid === null ? true : pid === process.pid ? !this.live.has(id) : !isProcessAlive(pid),
      );
      if (orphans.length === 0) return;
      const update = this.db.prepare(
        `UPDATE runs SET status = 'interrupted', finished_at = ?, error = COALESCE(error, ?), owner_pid = NULL
         WHERE id = ? AND status = 'running'`,
      );
      const now = new Date().toISOString();
      this.db.transaction(() => orphans.forEach(({ id }) => update.run(now, INTERRUPTED_MESSAGE, id))).immediate();
    });
  }

  /** Runs `fn` against the open database, turning whatever it throws into an UnmaskError. */
  private guard<T>(fn: () => T): T {
    if (!this.db.open) throw new UnmaskError('INTERNAL', `Run store ${this.file} is closed`);
    try {
      return fn();
    } catch (error) {
      throw storeError(error, this.file);
    }
  }

  private runRow(id: number): RunSqlRow {
    const row = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`).get(id) as RunSqlRow | undefined;
    if (!row) throw new UnmaskError('NOT_FOUND', `No run with id ${id}`);
    return row;
  }

  /** Records a new run with status 'queued'. */
  createRun(input: NewRun): RunRecord {
    const params = validateNewRun(input);
    return this.guard(() => {
      const result = this.db
        .prepare(
          `INSERT INTO runs (model, dataset_path, dataset_fingerprint, params, engine, status, created_at)
           VALUES (?, ?, ?, ?, ?, 'queued', ?)`,
        )
        .run(input.model, input.datasetPath, input.datasetFingerprint, params, input.engine, new Date().toISOString());
      return toRunRecord(this.runRow(Number(result.lastInsertRowid)));
    });
  }

  /**
   * Marks a run 'running' on `engine`, now (startedAt), owned by this process. Allowed from 'queued', and from
   * 'interrupted' / 'failed' / 'cancelled' to resume; clears finishedAt and error.
   */
  markStarted(id: number, engine: string): void {
    this.guard(() => {
      const { status } = this.runRow(id);
      if (status === 'running' || status === 'completed') {
        throw new UnmaskError('BAD_ARGUMENT', `Run ${id} cannot start: it is already ${status}`);
      }
      this.db
        .prepare(
          `UPDATE runs SET status = 'running', engine = ?, started_at = ?, finished_at = NULL, error = NULL, owner_pid = ?
           WHERE id = ?`,
        )
        .run(engine, new Date().toISOString(), process.pid, id);
      this.started.add(id);
      this.live.add(id);
    });
  }

  /** Ends a 'queued' or 'running' run with `status` (finishedAt = now) and an optional error message. */
  finish(id: number, status: 'completed' | 'failed' | 'cancelled', error?: string): void {
    if (status !== 'completed' && status !== 'failed' && status !== 'cancelled') {
      throw new UnmaskError('BAD_ARGUMENT', `finish: status must be completed, failed or cancelled, got ${String(status)}`);
    }
    this.guard(() => {
      const current = this.runRow(id).status;
      if (current !== 'queued' && current !== 'running') {
        throw new UnmaskError('BAD_ARGUMENT', `Run ${id} cannot be marked ${status}: it is already ${current}`);
      }
      this.db
        .prepare('UPDATE runs SET status = ?, finished_at = ?, error = ?, owner_pid = NULL WHERE id = ?')
        .run(status, new Date().toISOString(), error ?? null, id);
      this.started.delete(id);
      this.live.delete(id);
    });
  }

  /**
   * Ends a run that stopped on `error`: 'cancelled' for a CANCELLED UnmaskError, else 'failed' with the error's
   * message. Returns the error for the caller to throw, and never throws itself, so the cause is never hidden by
   * a failure to record it. When the disk refuses that write too (full, read-only, I/O error), the run is
   * deliberately left 'running' with this process as owner: the next open of the database, in any process, finds
   * that owner gone and marks it 'interrupted'. The returned error then says so, keeping the original's code.
   */
  endWithError(id: number, error: unknown): unknown {
    const cancelled = error instanceof UnmaskError && error.code === 'CANCELLED';
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.finish(id, cancelled ? 'cancelled' : 'failed', cancelled ? undefined : message);
      return error;
    } catch (markError) {
      // Not 'live' any more: a later open in this same process (the app) may then mark it interrupted.
      this.started.delete(id);
      this.live.delete(id);
      const code = error instanceof UnmaskError ? error.code : 'INTERNAL';
      const same = markError instanceof UnmaskError && markError.code === code;
      const why = same ? 'the same fault' : markError instanceof Error ? markError.message : String(markError);
      return new UnmaskError(
        code,
        `${message} Run ${id} could not be marked ${cancelled ? 'cancelled' : 'failed either'} (${why}); ` +
          'it will show as interrupted the next time the run database is opened.',
        { cause: error },
      );
    }
  }

  /**
   * Records one epoch's metrics and the checkpoints written with it, in one transaction: all or nothing.
   * Re-recording an epoch (a resumed run) replaces it; a checkpoint replaces the run's previous one of its kind.
   */
  recordEpoch(id: number, epoch: EpochRecord, checkpoints: CheckpointRecord[]): void {
    validateEpoch(epoch);
    this.guard(() => {
      const insertEpoch = this.db.prepare(
        `INSERT OR REPLACE INTO epochs
           (run_id, epoch, train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, seconds, img_per_sec, val_auc, test_auc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const upsertCheckpoint = this.db.prepare(
        `INSERT INTO checkpoints (run_id, kind, epoch, path) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, kind) DO UPDATE SET epoch = excluded.epoch, path = excluded.path`,
      );
      this.db.transaction(() => {
        this.runRow(id);
        const e = epoch;
        insertEpoch.run(id, e.epoch, e.trainLoss, e.trainAcc, e.valLoss, e.valAcc, e.testLoss, e.testAcc, e.seconds, e.imgPerSec, e.valAuc ?? null, e.testAuc ?? null);
        for (const checkpoint of checkpoints) upsertCheckpoint.run(id, checkpoint.kind, checkpoint.epoch, checkpoint.path);
      }).immediate();
    });
  }

  /** One run; NOT_FOUND if there is none with that id. */
  getRun(id: number): RunRecord {
    return this.guard(() => toRunRecord(this.runRow(id)));
  }

  /** A run's epochs, in epoch order. */
  getEpochs(id: number): EpochRecord[] {
    return this.guard(() => {
      this.runRow(id);
      const rows = this.db.prepare('SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch').all(id) as EpochRow[];
      return rows.map(toEpochRecord);
    });
  }

  /** A run's checkpoints ('best' before 'last'), at most one of each kind. */
  getCheckpoints(id: number): CheckpointRecord[] {
    return this.guard(() => {
      this.runRow(id);
      return this.db.prepare('SELECT epoch, kind, path FROM checkpoints WHERE run_id = ? ORDER BY kind').all(id) as CheckpointRecord[];
    });
  }

  /** Every run with its summary figures, newest first. */
  listRuns(): RunSummary[] {
    return this.guard(() => this.summaries(null));
  }

  /** One run's summary, as listRuns has it; NOT_FOUND for an unknown id. */
  getRunSummary(id: number): RunSummary {
    return this.guard(() => {
      const summary = this.summaries(id)[0];
      if (!summary) throw new UnmaskError('NOT_FOUND', `no run ${id}`);
      return summary;
    });
  }

  private summaries(id: number | null): RunSummary[] {
    const only = id === null ? '' : 'WHERE run_id = ?';
    const args = id === null ? [] : [id];
    const own = new Map<number, OwnScoreSet[]>();
    const sets = this.db.prepare(`SELECT run_id, split, n, auc, checkpoint_epoch, saved_at FROM score_sets ${only} ORDER BY run_id, split`).all(...args) as {
      run_id: number; split: string; n: number; auc: number | null; checkpoint_epoch: number | null; saved_at: string;
    }[];
    for (const s of sets) {
      const list = own.get(s.run_id) ?? [];
      list.push({ split: s.split, n: s.n, auc: s.auc, checkpointEpoch: s.checkpoint_epoch, savedAt: s.saved_at });
      own.set(s.run_id, list);
    }
    const missing = new Map<number, MissingOwnScores[]>();
    const gaps = this.db.prepare(`SELECT run_id, split, reason, evaluation_id FROM own_scores_replaced ${only} ORDER BY run_id, split`).all(...args) as {
      run_id: number; split: string; reason: string; evaluation_id: number | null;
    }[];
    for (const g of gaps) missing.set(g.run_id, [...(missing.get(g.run_id) ?? []), { split: g.split, reason: g.reason, evaluationId: g.evaluation_id }]);
    const rows = this.db.prepare(summarySql(id === null ? '' : 'WHERE r.id = ?')).all(...args) as SummaryRow[];
    return rows.map((row) => toRunSummary(row, own.get(row.id) ?? [], missing.get(row.id) ?? []));
  }

  /**
   * Replaces the run's OWN scores for `split` — its best checkpoint (`source.checkpointEpoch`) on that split of its
   * own dataset — with `rows` (kept in order), in one transaction; [] deletes them. Saving them also clears a
   * "missing" mark the schema-4 migration left for the split. Any other scoring is an evaluation: saveEvaluation.
   */
  saveScores(id: number, split: string, rows: ScoreRow[], source?: OwnScoreSource): void {
    validateScores(split, rows);
    if (source !== undefined && !(Number.isInteger(source.checkpointEpoch) && source.checkpointEpoch >= 1)) {
      throw new UnmaskError('BAD_ARGUMENT', `saveScores: checkpointEpoch must be a positive integer, got ${String(source.checkpointEpoch)}`);
    }
    const auc = scoresAuc(rows);
    this.guard(() => {
      const insert = this.db.prepare(
        'INSERT INTO scores (run_id, split, idx, path, label, logit0, logit1, prob0, prob1) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      this.db.transaction(() => {
        this.runRow(id);
        this.db.prepare('DELETE FROM score_sets WHERE run_id = ? AND split = ?').run(id, split); // cascades to scores
        if (rows.length === 0) return;
        this.db
          .prepare('INSERT INTO score_sets (run_id, split, n, auc, saved_at, checkpoint_epoch) VALUES (?, ?, ?, ?, ?, ?)')
          .run(id, split, rows.length, auc, new Date().toISOString(), source?.checkpointEpoch ?? null);
        rows.forEach((row, i) => insert.run(id, split, i, row.path, row.label, row.logits[0], row.logits[1], row.probs[0], row.probs[1]));
        this.db.prepare('DELETE FROM own_scores_replaced WHERE run_id = ? AND split = ?').run(id, split);
      }).immediate();
    });
  }

  /** Records an evaluation (any scoring but the run's own): see {@link saveEvaluation}. NOT_FOUND for an unknown run. */
  saveEvaluation(evaluation: NewEvaluation): EvaluationRecord {
    return this.guard(() => {
      this.runRow(evaluation.runId);
      return saveEvaluation(this.db, evaluation);
    });
  }

  /** One evaluation; NOT_FOUND if there is none with that id. */
  getEvaluation(id: number): EvaluationRecord {
    return this.guard(() => getEvaluation(this.db, id));
  }

  /** Every evaluation, or one run's, newest first. */
  listEvaluations(filter: { runId?: number } = {}): EvaluationRecord[] {
    return this.guard(() => {
      if (filter.runId !== undefined) this.runRow(filter.runId);
      return listEvaluations(this.db, filter.runId);
    });
  }

  /** An evaluation's per-image scores, in the order saved. */
  getEvaluationScores(id: number): ScoreRow[] {
    return this.guard(() => getEvaluationScores(this.db, id));
  }

  /** A run's own scores for `split`, in the order saved ([] if none were saved). */
  getScores(id: number, split: string): ScoreRow[] {
    return this.guard(() => {
      this.runRow(id);
      const rows = this.db
        .prepare('SELECT path, label, logit0, logit1, prob0, prob1 FROM scores WHERE run_id = ? AND split = ? ORDER BY idx')
        .all(id, split) as ScoreDbRow[];
      return rows.map(toScoreRow);
    });
  }

  /**
   * Runs `fn` — calls of this store — as one IMMEDIATE transaction: all or nothing, and no other process writes
   * in between (a result recorded once even when two coordinators share the database).
   */
  transaction<T>(fn: () => T): T {
    return this.guard(() => this.db.transaction(fn).immediate());
  }

  /** Records a job this database asked for (schema 5 ledger), as 'queued'. */
  recordJob(job: NewJob): JobRecord {
    return this.guard(() => insertJob(this.db, job));
  }

  /** Updates a recorded job (its run, evaluation, state, worker or error); NOT_FOUND for an unknown id. */
  updateJob(id: string, update: JobUpdate): JobRecord {
    return this.guard(() => updateJob(this.db, id, update));
  }

  /** One recorded job, or null. */
  getJob(id: string): JobRecord | null {
    return this.guard(() => getJob(this.db, id));
  }

  /** Recorded jobs, oldest first (all, those in `states`, or one run's). */
  listJobs(filter: { states?: readonly JobState[]; runId?: number } = {}): JobRecord[] {
    return this.guard(() => listJobs(this.db, filter));
  }

  /** A stored setting (JSON value), or null. */
  getSetting(key: string): unknown {
    return this.guard(() => getSetting(this.db, key));
  }

  /** Stores a setting; null removes it. */
  setSetting(key: string, value: unknown): void {
    this.guard(() => setSetting(this.db, key, value));
  }

  /** The run in the seed project's log format: one array entry per recorded epoch, in epoch order. */
  exportLog(id: number): SeedLog {
    const run = this.getRun(id);
    const epochs = this.getEpochs(id);
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

  /**
   * Closes the database. Runs this store started and did not finish stay 'running' until the next open,
   * which marks them 'interrupted'. Safe to call twice.
   */
  close(): void {
    for (const id of this.started) this.live.delete(id);
    this.started.clear();
    if (!this.db.open) return;
    try {
      this.db.close();
    } catch {
      // Closing checkpoints the WAL into the main file, which fails on a full or read-only disk. Committed
      // transactions are safe in the WAL, which the next open replays; the error that got us here matters more.
    }
  }
}
