// Conversions between the run store's SQL rows and its public records, and validation of what callers pass in.
import { UnmaskError } from '../engine/errors.js';
import { rocAuc } from '../analysis/metrics.js';
import type { EpochRecord, MissingOwnScores, NewRun, OwnScoreSet, RunRecord, RunStatus, RunSummary, ScoreRow, TrainParams } from './types.js';

/** A `runs` SQL row as selected by the store (owner_pid left out). */
export interface RunSqlRow {
  id: number;
  model: string;
  dataset_path: string;
  dataset_fingerprint: string;
  params: string;
  engine: string;
  status: RunStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

/** A RunSqlRow plus the aggregates listRuns computes. */
export interface SummaryRow extends RunSqlRow {
  epochs_done: number;
  seconds: number;
  best_val_acc: number | null;
  best_epoch: number | null;
  test_acc_at_best: number | null;
}

/** An `epochs` row. NULL metrics stand for NaN. */
export interface EpochRow {
  epoch: number;
  train_loss: number | null;
  train_acc: number | null;
  val_loss: number | null;
  val_acc: number | null;
  test_loss: number | null;
  test_acc: number | null;
  seconds: number;
  img_per_sec: number;
  val_auc: number | null;
  test_auc: number | null;
}

/** A `scores` row. */
export interface ScoreDbRow {
  path: string;
  label: number;
  logit0: number | null;
  logit1: number | null;
  prob0: number | null;
  prob1: number | null;
}

/** The columns every run query selects, in RunSqlRow's shape. */
export const RUN_COLUMNS =
  'r.id, r.model, r.dataset_path, r.dataset_fingerprint, r.params, r.engine, r.status, r.created_at, r.started_at, r.finished_at, r.error';

const nan = (value: number | null): number => value ?? Number.NaN;

/** RunSqlRow → RunRecord. */
export function toRunRecord(row: RunSqlRow): RunRecord {
  return {
    id: row.id,
    model: row.model,
    datasetPath: row.dataset_path,
    datasetFingerprint: row.dataset_fingerprint,
    params: JSON.parse(row.params) as TrainParams,
    engine: row.engine,
    status: row.status,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

/** SummaryRow plus the run's own score sets and the splits whose own scores are missing → RunSummary. */
export function toRunSummary(row: SummaryRow, ownScores: OwnScoreSet[], missingOwnScores: MissingOwnScores[]): RunSummary {
  return {
    ...toRunRecord(row),
    epochsDone: row.epochs_done,
    bestValAcc: row.best_val_acc,
    bestEpoch: row.best_epoch,
    testAccAtBestVal: row.test_acc_at_best,
    seconds: row.seconds,
    testAuc: ownScores.find((s) => s.split === 'test')?.auc ?? null,
    ownScores,
    missingOwnScores,
  };
}

/** EpochRow → EpochRecord (NULL train/val metrics come back as NaN; NULL test metrics stay null). */
export function toEpochRecord(row: EpochRow): EpochRecord {
  return {
    epoch: row.epoch,
    trainLoss: nan(row.train_loss),
    trainAcc: nan(row.train_acc),
    valLoss: nan(row.val_loss),
    valAcc: nan(row.val_acc),
    testLoss: row.test_loss,
    testAcc: row.test_acc,
    seconds: row.seconds,
    imgPerSec: row.img_per_sec,
    valAuc: row.val_auc,
    testAuc: row.test_auc,
  };
}

/** ScoreDbRow → ScoreRow. */
export function toScoreRow(row: ScoreDbRow): ScoreRow {
  return {
    path: row.path,
    label: row.label === 1 ? 1 : 0,
    logits: [nan(row.logit0), nan(row.logit1)],
    probs: [nan(row.prob0), nan(row.prob1)],
  };
}

function bad(message: string): never {
  throw new UnmaskError('BAD_ARGUMENT', message);
}

const isNumber = (value: unknown): value is number => typeof value === 'number';

/** Checks createRun's input; returns the params as JSON text. */
export function validateNewRun(input: NewRun): string {
  for (const key of ['model', 'datasetPath', 'engine'] as const) {
    if (typeof input[key] !== 'string' || input[key].length === 0) bad(`createRun: ${key} must be a non-empty string`);
  }
  if (typeof input.datasetFingerprint !== 'string') bad('createRun: datasetFingerprint must be a string');
  const params = input.params as Partial<TrainParams> | null;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) bad('createRun: params must be an object');
  for (const key of ['lr', 'batchSize', 'epochs', 'seed'] as const) {
    if (!isNumber(params[key]) || !Number.isFinite(params[key])) bad(`createRun: params.${key} must be a finite number`);
  }
  if (typeof params.optimizer !== 'string') bad('createRun: params.optimizer must be a string');
  try {
    return JSON.stringify(params);
  } catch (error) {
    return bad(`createRun: params cannot be stored as JSON (${(error as Error).message})`);
  }
}

/** Checks recordEpoch's epoch record (NaN metrics are allowed: a diverged run still records its epochs). */
export function validateEpoch(epoch: EpochRecord): void {
  if (!Number.isInteger(epoch.epoch) || epoch.epoch < 1) bad(`recordEpoch: epoch must be an integer >= 1, got ${epoch.epoch}`);
  for (const key of ['trainLoss', 'trainAcc', 'valLoss', 'valAcc'] as const) {
    if (!isNumber(epoch[key])) bad(`recordEpoch: ${key} must be a number`);
  }
  for (const key of ['testLoss', 'testAcc'] as const) {
    if (epoch[key] !== null && !isNumber(epoch[key])) bad(`recordEpoch: ${key} must be a number or null`);
  }
  for (const key of ['seconds', 'imgPerSec'] as const) {
    if (!isNumber(epoch[key]) || Number.isNaN(epoch[key])) bad(`recordEpoch: ${key} must be a number`);
  }
}

/** Checks saveScores' rows. */
export function validateScores(split: string, rows: readonly ScoreRow[]): void {
  if (typeof split !== 'string' || split.length === 0) bad('saveScores: split must be a non-empty string');
  if (!Array.isArray(rows)) bad('saveScores: rows must be an array');
  rows.forEach((row, i) => {
    if (typeof row.path !== 'string') bad(`saveScores: rows[${i}].path must be a string`);
    if (row.label !== 0 && row.label !== 1) bad(`saveScores: rows[${i}].label must be 0 or 1`);
    for (const key of ['logits', 'probs'] as const) {
      const pair = row[key];
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(isNumber)) bad(`saveScores: rows[${i}].${key} must be two numbers`);
    }
  });
}

/** ROC AUC of stored scores (fake probability, label 1 positive); null when it is undefined (one class, NaN). */
export function scoresAuc(rows: readonly ScoreRow[]): number | null {
  const labels = rows.map((row) => row.label);
  const scores = rows.map((row) => row.probs[1]);
  if (scores.some((v) => !Number.isFinite(v)) || new Set(labels).size < 2) return null;
  return rocAuc(labels, scores);
}
