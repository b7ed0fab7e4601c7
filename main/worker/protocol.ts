// Messages between the main side and its worker processes (training; scoring and explaining).
import type { EpochPoint, ErrorPayload, JobPhase } from '../api/contract.js';
import type { TrainRequest, TrainOutcome } from '../train/session.js';

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

export type AnalysisOp = 'engine' | 'score' | 'evaluate' | 'features' | 'explain' | 'choices' | 'params' | 'render' | 'export' | 'stats';

/** The analysis worker's memory, for soak tests: process RSS and tfjs's tensor bookkeeping. */
export interface WorkerStats {
  rss: number;
  heapUsed: number;
  tensors: number;
  tensorBytes: number;
}

export interface AnalysisWorkerRequest {
  id: number;
  op: AnalysisOp;
  params: unknown;
}

export type AnalysisWorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorPayload };
