// Messages between the main side and its worker processes (training; scoring and explaining).
import type {
  ChartOption,
  EncodedImage,
  EpochPoint,
  ErrorPayload,
  EvaluationSplit,
  ExplainChoices,
  ExplainRequest,
  FigureFormat,
  JobPhase,
  SplitName,
} from '../api/contract.js';
import type { ExportResult } from '../analysis/figures/export.js';
import type { ImageExplanation } from '../analysis/explain/explain-image.js';
import type { ShardOptions, ShardResult } from '../queue/feature-shard.js';
import type { TrainOutcome } from '../train/session.js';
import type { TrainRequest } from '../train/request.js';
import type { EngineInfo } from '../engine/select.js';

/** Where a worker's store and checkpoints live (the same database the main side reads). */
export interface StoreLocation {
  dbPath: string;
  runsDir: string;
  /** Root of the frozen-backbone feature cache (default: `feature-cache/` beside `runsDir`). */
  featureCacheDir?: string;
}

/**
 * A queue job's journal (main/queue/journal.ts): rewritten after every recorded epoch, before older checkpoints
 * are pruned, so the worker that takes the job over after a crash resumes from the last completed epoch.
 */
export interface JournalLocation {
  file: string;
  /** The artifact root the checkpoint paths in the journal are relative to. */
  artifactRoot: string;
}

export type TrainWorkerCommand =
  | { type: 'start'; request: TrainRequest; store: StoreLocation; journal?: JournalLocation }
  /** Continues a run of the store from its last completed epoch (a queue job taken over from a dead worker). */
  | { type: 'resume'; runId: number; store: StoreLocation; journal?: JournalLocation }
  | { type: 'cancel' };

/** A progress step of the phase being run; `etaSeconds` covers the rest of that phase only. */
export interface PhaseProgress {
  phase: JobPhase;
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  imgPerSec: number | null;
  etaSeconds: number | null;
  runningLoss: number | null;
  runningAccuracy: number | null;
}

export type TrainWorkerMessage =
  | { type: 'run'; runId: number; engine: string; startEpoch: number; epochs: number }
  | { type: 'progress'; progress: PhaseProgress }
  | { type: 'epoch'; epoch: EpochPoint }
  | { type: 'done'; outcome: TrainOutcome }
  | { type: 'error'; error: ErrorPayload };

/** Every analysis-worker operation: its params and its result. The client and the worker are both typed by it. */
export interface AnalysisOps {
  /** The engine this worker computes on, and why each faster one was not used. */
  engine: { params: Record<string, never>; result: EngineInfo };
  /** Scores a split of a run's own dataset with its best checkpoint and saves the scores. */
  score: { params: { runId: number; split: SplitName }; result: { n: number; skipped: number } };
  /** Scores a run on another dataset (or split) and records the evaluation. */
  evaluate: {
    params: { runId: number; dataset: string; split?: EvaluationSplit; checkpoint?: 'best' | 'last'; cropFaces?: boolean };
    result: { evaluationId: number };
  };
  /** One shard of a queue job's frozen-backbone feature views. */
  features: { params: ShardOptions; result: ShardResult };
  explain: { params: ExplainRequest; result: Omit<ImageExplanation, 'png'> & { png: string } };
  choices: { params: { runId: number }; result: ExplainChoices };
  /** A model's trainable parameter count (null for a name this build does not have). */
  params: { params: { model: string }; result: number | null };
  render: { params: { option: ChartOption; format: FigureFormat; width?: number; height?: number }; result: EncodedImage };
  export: { params: { runIds: number[]; out: string; split?: SplitName; formats?: FigureFormat[] }; result: ExportResult };
  stats: { params: Record<string, never>; result: WorkerStats };
}

export type AnalysisOp = keyof AnalysisOps;
export type AnalysisParams<K extends AnalysisOp> = AnalysisOps[K]['params'];
export type AnalysisResult<K extends AnalysisOp> = AnalysisOps[K]['result'];

/** The analysis worker's memory, for soak tests: process RSS and tfjs's tensor bookkeeping. */
export interface WorkerStats {
  rss: number;
  heapUsed: number;
  tensors: number;
  tensorBytes: number;
}

export type AnalysisWorkerRequest = { [K in AnalysisOp]: { id: number; op: K; params: AnalysisParams<K> } }[AnalysisOp];

export type AnalysisWorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorPayload };
