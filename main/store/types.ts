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
export interface CheckpointRecord {
  epoch: number;
  kind: 'last' | 'best';
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
  /** ROC AUC of the saved scores ('test' split preferred, then 'val', then others); null until scores exist. */
  auc: number | null;
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
