// The coordinator's writes of what comes back from the queue: each in one transaction, each idempotent, so a result
// seen twice (a live event and a reconcile after a restart) is recorded once.
import type { ErrorPayload } from '../api/contract.js';
import type { EvaluationRecord, JobRecord, RunStore } from '../store/index.js';
import type { ArtifactSync } from './artifact-store.js';
import type { SharedCheckpoint } from './journal.js';
import { epochFromWire, mapRowPaths, scoreRowFromWire, type EvaluateResult, type TrainResult, type WireEpoch } from './payloads.js';
import type { SharedRoot } from './roots.js';

/** The coordinator's own mounts of the shared roots. */
export interface Roots {
  dataRoot: SharedRoot;
  artifacts: SharedRoot;
  /** With an S3 artifact root: `artifacts` is this machine's mirror of the bucket, pulled before records that name its files. */
  sync?: ArtifactSync;
}

type RunIdentity = TrainResult['snapshot']['run'];

function isFinal(job: JobRecord): boolean {
  return job.state !== 'queued' && job.state !== 'running';
}

/** The job's run, created on first sight (its dataset being `datasetPath` here). */
function ensureRun(store: RunStore, job: JobRecord, identity: RunIdentity, datasetPath: string): number {
  if (job.runId !== null) return job.runId;
  const { id } = store.createRun({ ...identity, datasetPath });
  store.updateJob(job.id, { runId: id });
  return id;
}

/** Marks a run running again unless it is, or has finished (a worker took a job over, or this coordinator restarted). */
function markRunning(store: RunStore, runId: number, engine: string): void {
  const { status } = store.getRun(runId);
  if (status !== 'running' && status !== 'completed') store.markStarted(runId, engine);
}

function recordEpochs(store: RunStore, runId: number, epochs: readonly WireEpoch[], checkpoints: readonly SharedCheckpoint[], roots: Roots): void {
  for (const epoch of epochs) {
    const mine = checkpoints.filter((c) => c.epoch === epoch.epoch).map((c) => ({ ...c, path: roots.artifacts.resolve(c.path) }));
    store.recordEpoch(runId, epochFromWire(epoch), mine);
  }
}

/** A worker started (or took over) the job's run: creates it the first time, marks it running. Returns its id. */
export function recordRunStart(store: RunStore, jobId: string, identity: RunIdentity, worker: string, datasetPath: string): number | null {
  return store.transaction(() => {
    const job = store.getJob(jobId);
    if (!job || isFinal(job)) return null;
    const runId = ensureRun(store, job, identity, datasetPath);
    markRunning(store, runId, identity.engine);
    store.updateJob(jobId, { state: 'running', worker });
    return runId;
  });
}

/** One epoch the job's run finished, with the checkpoints it wrote. */
export function recordEpoch(store: RunStore, jobId: string, epoch: WireEpoch, checkpoints: readonly SharedCheckpoint[], roots: Roots): number | null {
  return store.transaction(() => {
    const job = store.getJob(jobId);
    if (!job || job.runId === null || isFinal(job)) return null;
    recordEpochs(store, job.runId, [epoch], checkpoints, roots);
    return job.runId;
  });
}

/**
 * A finished training job: its run (created if no progress reached us), every epoch, its own val/test scores,
 * and the run marked completed. Nothing happens for a job already final. Returns the run id.
 */
export function recordTrainResult(store: RunStore, jobId: string, result: TrainResult, datasetPath: string, roots: Roots): number | null {
  return store.transaction(() => {
    const job = store.getJob(jobId);
    if (!job || isFinal(job)) return job?.runId ?? null;
    const runId = ensureRun(store, job, result.snapshot.run, datasetPath);
    markRunning(store, runId, result.snapshot.run.engine);
    recordEpochs(store, runId, result.snapshot.epochs, result.snapshot.checkpoints, roots);
    for (const set of result.scores) {
      const rows = mapRowPaths(set.rows.map(scoreRowFromWire), (p) => roots.dataRoot.join(p));
      store.saveScores(runId, set.split, rows, { checkpointEpoch: set.checkpointEpoch });
    }
    if (store.getRun(runId).status !== 'completed') store.finish(runId, 'completed');
    store.updateJob(jobId, { state: 'completed', worker: result.worker, error: null });
    return runId;
  });
}

/** A finished evaluation job, recorded as an evaluation of `runId` (its folder `datasetPath` here). */
export function recordEvaluation(store: RunStore, jobId: string, result: EvaluateResult, datasetPath: string, roots: Roots): EvaluationRecord | null {
  return store.transaction(() => {
    const job = store.getJob(jobId);
    if (!job || job.runId === null) return null;
    if (isFinal(job)) return job.evaluationId === null ? null : store.getEvaluation(job.evaluationId);
    const evaluation = store.saveEvaluation({
      runId: job.runId,
      datasetPath,
      datasetFingerprint: result.datasetFingerprint,
      split: result.split,
      checkpoint: result.checkpoint,
      checkpointEpoch: result.checkpointEpoch,
      preprocess: result.preprocess,
      rows: mapRowPaths(result.rows.map(scoreRowFromWire), (p) => roots.dataRoot.join(p)),
      metrics: result.metrics,
      engine: result.engine,
      skipped: result.skipped,
      note: result.trainedOn ? `the folder run ${job.runId} was trained on` : null,
    });
    store.updateJob(jobId, { state: 'completed', evaluationId: evaluation.id, worker: result.worker, error: null });
    return evaluation;
  });
}

/**
 * A job that failed, was cancelled, or that the queue no longer has ('lost'): its run, if it was running, ends
 * failed or cancelled with the reason (its finished epochs kept).
 */
export function recordJobEnd(store: RunStore, jobId: string, state: 'failed' | 'cancelled' | 'lost', error: ErrorPayload | null): JobRecord | null {
  return store.transaction(() => {
    const job = store.getJob(jobId);
    if (!job || isFinal(job)) return job;
    if (job.kind === 'train' && job.runId !== null) {
      const { status } = store.getRun(job.runId);
      if (status === 'running' || status === 'queued')
        store.finish(job.runId, state === 'cancelled' ? 'cancelled' : 'failed', state === 'cancelled' ? undefined : error?.message);
    }
    return store.updateJob(jobId, { state, error: error?.message ?? null });
  });
}
