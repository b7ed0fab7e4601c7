// RunStore: the persistent record of training runs, their per-epoch metrics, checkpoints and per-image scores.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { UnmaskError } from '../engine/errors.js';
import { openDatabase, storeError } from './open.js';
import { scoresAuc, toRunRecord, validateEpoch, validateNewRun, validateScores } from './rows.js';
import { readCheckpoints, readEpochs, readOwnScores, readRunRow, readSummaries, toSeedLog } from './run-reads.js';
import { insertRun, interruptOrphanRuns, setRunFinished, setRunRunning, writeEpoch, writeOwnScores } from './run-writes.js';
import { getEvaluation, getEvaluationScores, listEvaluations, saveEvaluation } from './evaluation-table.js';
import { getJob, getSetting, insertJob, listJobs, setSetting, updateJob } from './job-table.js';
import type {
  CheckpointRecord,
  EpochRecord,
  EvaluationRecord,
  JobRecord,
  JobState,
  JobUpdate,
  NewEvaluation,
  NewJob,
  NewRun,
  OwnScoreSource,
  RunRecord,
  RunSummary,
  ScoreRow,
  SeedLog,
} from './types.js';

/** Runs this process has marked running and not yet finished, per database file (realpath). */
const liveRuns = new Map<string, Set<number>>();

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
    this.guard(() => interruptOrphanRuns(this.db, this.live));
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

  /** Records a new run with status 'queued'. */
  createRun(input: NewRun): RunRecord {
    const params = validateNewRun(input);
    return this.guard(() => insertRun(this.db, input, params));
  }

  /**
   * Marks a run 'running' on `engine`, now (startedAt), owned by this process. Allowed from 'queued', and from
   * 'interrupted' / 'failed' / 'cancelled' to resume; clears finishedAt and error.
   */
  markStarted(id: number, engine: string): void {
    this.guard(() => {
      setRunRunning(this.db, id, engine);
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
      setRunFinished(this.db, id, status, error);
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
    this.guard(() => writeEpoch(this.db, id, epoch, checkpoints));
  }

  /** One run; NOT_FOUND if there is none with that id. */
  getRun(id: number): RunRecord {
    return this.guard(() => toRunRecord(readRunRow(this.db, id)));
  }

  /** A run's epochs, in epoch order. */
  getEpochs(id: number): EpochRecord[] {
    return this.guard(() => {
      readRunRow(this.db, id);
      return readEpochs(this.db, id);
    });
  }

  /** A run's checkpoints ('best' before 'last'), at most one of each kind. */
  getCheckpoints(id: number): CheckpointRecord[] {
    return this.guard(() => {
      readRunRow(this.db, id);
      return readCheckpoints(this.db, id);
    });
  }

  /** Every run with its summary figures, newest first. */
  listRuns(): RunSummary[] {
    return this.guard(() => readSummaries(this.db, null));
  }

  /** One run's summary, as listRuns has it; NOT_FOUND for an unknown id. */
  getRunSummary(id: number): RunSummary {
    return this.guard(() => {
      const summary = readSummaries(this.db, id)[0];
      if (!summary) throw new UnmaskError('NOT_FOUND', `no run ${id}`);
      return summary;
    });
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
    this.guard(() => writeOwnScores(this.db, id, split, rows, auc, source));
  }

  /** Records an evaluation (any scoring but the run's own): see {@link saveEvaluation}. NOT_FOUND for an unknown run. */
  saveEvaluation(evaluation: NewEvaluation): EvaluationRecord {
    return this.guard(() => {
      readRunRow(this.db, evaluation.runId);
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
      if (filter.runId !== undefined) readRunRow(this.db, filter.runId);
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
      readRunRow(this.db, id);
      return readOwnScores(this.db, id, split);
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
    return toSeedLog(this.getRun(id), this.getEpochs(id));
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
