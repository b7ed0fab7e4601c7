// The run store's public record shapes: what callers put in and get back, independent of the SQL layout.

/** Lifecycle of a training run. 'interrupted' = the process that ran it died without finishing it. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** Hyper-parameters of a run; stored as JSON, so extra keys round-trip. */
export interface TrainParams {
  lr: number;
  batchSize: number;
  epochs: number;
  optimizer: string;
  seed: number;
  [k: string]: unknown;
}

/** One training run as stored. Datetimes are ISO-8601 strings (UTC). */
export interface RunRecord {
  id: number;
  model: string;
  datasetPath: string;
  /** Opaque text identifying the dataset's contents; the store never interprets it. */
  datasetFingerprint: string;
  params: TrainParams;
  engine: string;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

/** What createRun needs. */
export interface NewRun {
  model: string;
  datasetPath: string;
  datasetFingerprint: string;
  params: TrainParams;
  engine: string;
}

/** Metrics of one finished epoch. Accuracies are percentages; a NaN metric (diverged run) round-trips as NaN. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  testLoss: number | null;
  testAcc: number | null;
  seconds: number;
  imgPerSec: number;
  /** ROC AUC of the fake score on val and test (null where not measured or undefined). */
  valAuc?: number | null;
  testAuc?: number | null;
}

/** A checkpoint written at the end of an epoch; a run keeps at most one of each kind. */
/** A run's kept checkpoints: the best by its selection rule, and the last epoch's. */
export type CheckpointKind = 'best' | 'last';

export interface CheckpointRecord {
  epoch: number;
  kind: CheckpointKind;
  path: string;
}

/** A run plus figures derived from its epochs and scores, for run lists. */
export interface RunSummary extends RunRecord {
  epochsDone: number;
  /** Highest validation accuracy; the earliest epoch wins ties. */
  bestValAcc: number | null;
  bestEpoch: number | null;
  testAccAtBestVal: number | null;
  /** Sum of the epochs' seconds. */
  seconds: number;
  /** ROC AUC of the run's own test scores (its best checkpoint on its own test split); null until scored or undefined. */
  testAuc: number | null;
  /** The run's own score sets, one per split scored. */
  ownScores: OwnScoreSet[];
  /** Splits whose own scores an older version replaced with another scoring: moved out, to be scored again. */
  missingOwnScores: MissingOwnScores[];
}

/** Where a run's own score set came from: its best checkpoint on a split of its own dataset. */
export interface OwnScoreSource {
  /** Epoch of the best checkpoint that was scored. */
  checkpointEpoch: number;
}

/** A run's own scores of one split, as listed. */
export interface OwnScoreSet {
  split: string;
  n: number;
  /** ROC AUC of P(fake); null when undefined (one class only, or a NaN score). */
  auc: number | null;
  /** The best checkpoint's epoch; null when scored before Unmask recorded it (schema version 4). */
  checkpointEpoch: number | null;
  savedAt: string;
}

/** Own scores of a split that the schema-4 migration found replaced by another scoring, and moved into an evaluation. */
export interface MissingOwnScores {
  split: string;
  /** Why they are not the run's own (a foreign folder, another checkpoint). */
  reason: string;
  /** The evaluation now holding the scores that had replaced them (null if it was deleted since). */
  evaluationId: number | null;
}

/** One scored image: label 1 = fake (the positive class); probs[1] is the score used for AUC. */
export interface ScoreRow {
  path: string;
  label: 0 | 1;
  logits: [number, number];
  probs: [number, number];
}

/** The seed project's per-run log (arrays indexed by epoch - 1). */
export interface SeedLog {
  run: number;
  model: string;
  dataset: string;
  params: TrainParams;
  engine: string;
  train_loss: number[];
  train_acc: number[];
  val_loss: number[];
  val_acc: number[];
  test_loss: (number | null)[];
  test_acc: (number | null)[];
}

/** What an evaluation scored: 'all' = every image of the folder, whatever split folders it has. */
export type EvaluationSplit = 'all' | 'train' | 'val' | 'test';

/**
 * What identifies an evaluation: the run, the images' content, which of them, with which weights, and how each
 * image was prepared. Saving the same key again re-measures the same thing and replaces it; any other scoring
 * gets its own record, so nothing recorded is ever replaced by a different measurement.
 */
export interface EvaluationKey {
  runId: number;
  /** Absolute folder that was scored. */
  datasetPath: string;
  /** Content fingerprint of the images scored ('' when unknown: moved from an older database). */
  datasetFingerprint: string;
  split: EvaluationSplit;
  /** null when unknown (moved from an older database, which did not record it). */
  checkpoint: 'best' | 'last' | null;
  checkpointEpoch: number | null;
  /** Per-image preparation before the usual decode and resize ('none'; face cropping will add its own name). */
  preprocess: string;
}

/** What saveEvaluation needs. `metrics` is stored as JSON and never interpreted by the store. */
export interface NewEvaluation extends EvaluationKey {
  rows: ScoreRow[];
  metrics: Record<string, unknown> | null;
  engine: string;
  /** Images that could not be decoded and were left out. */
  skipped: number;
  note?: string | null;
}

/** One stored evaluation (its per-image scores come from getEvaluationScores). */
export interface EvaluationRecord extends EvaluationKey {
  id: number;
  n: number;
  /** ROC AUC of P(fake); null when undefined (one class only). */
  auc: number | null;
  /** The metrics the evaluator computed; null for evaluations moved from an older database. */
  metrics: Record<string, unknown> | null;
  engine: string;
  skipped: number;
  /** 'evaluated' by `unmask evaluate` (or score on another folder/checkpoint); 'migrated' from an older database. */
  origin: 'evaluated' | 'migrated';
  note: string | null;
  createdAt: string;
}

/** What a recorded job does: train a run, or evaluate one. */
export type JobKind = 'train' | 'evaluate';

/** A job's state in the ledger; 'lost' = the queue no longer knows it (its Redis was emptied). */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'lost';

/** A job this database asked for, run on this machine or by a queue worker. */
export interface JobRecord {
  id: string;
  kind: JobKind;
  sweep: string | null;
  runId: number | null;
  evaluationId: number | null;
  state: JobState;
  /** The worker that ran it (its last attempt), or null while queued. */
  worker: string | null;
  /** What was asked, as sent (JSON). */
  request: unknown;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface NewJob {
  id: string;
  kind: JobKind;
  sweep?: string | null;
  runId?: number | null;
  request: unknown;
}

export type JobUpdate = Partial<Pick<JobRecord, 'runId' | 'evaluationId' | 'state' | 'worker' | 'error'>>;
