// The coordinator's JobInfos: one per queue job it follows, kept up to date as BullMQ reports the job and emitted
// on each change. Kept apart from QueueCoordinator so that it keeps to enqueueing, events and the ledger.
import type { JobInfo, JobRequest } from '../api/contract.js';
import type { JobRecord, RunStore } from '../store/index.js';
import { IDLE_PROGRESS, ProgressClock } from '../service/job-progress.js';

export interface TrackedJob {
  info: JobInfo;
  clock: ProgressClock;
  shards: number;
  shardsDone: number;
}

/** What the tracker reads of the coordinator's options (read at each use, as the coordinator did). */
export interface JobTrackerOptions {
  store: RunStore;
  /** JobInfo ids, shared with the jobs run on this machine. */
  nextId: () => number;
  emit: (job: JobInfo, runsChanged: boolean) => void;
}

export class JobTracker {
  /** By queue job id. */
  private readonly tracked = new Map<string, TrackedJob>();

  constructor(private readonly options: JobTrackerOptions) {}

  get(jobId: string): TrackedJob | undefined {
    return this.tracked.get(jobId);
  }

  has(jobId: string): boolean {
    return this.tracked.has(jobId);
  }

  list(): JobInfo[] {
    return [...this.tracked.values()].map((t) => t.info);
  }

  /** The job whose JobInfo has id `id`. */
  find(id: number): TrackedJob | undefined {
    return [...this.tracked.values()].find((x) => x.info.id === id);
  }

  /** A JobInfo for a ledger job, followed from now on. */
  track(job: JobRecord, shards: number): TrackedJob {
    const api = (job.request as { request: JobRequest }).request;
    const info: JobInfo = {
      id: this.options.nextId(),
      request: api,
      sweep: job.sweep,
      queueJobId: job.id,
      worker: job.worker,
      state: job.state === 'running' ? 'running' : 'queued',
      runId: job.runId,
      engine: null,
      progress: { ...IDLE_PROGRESS, epochs: api.epochs },
      epochs: job.runId ? this.options.store.getEpochs(job.runId) : [],
      error: null,
      queuedAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
    };
    const t: TrackedJob = { info, clock: new ProgressClock(shards > 0), shards, shardsDone: 0 };
    this.tracked.set(job.id, t);
    this.options.emit(info, false);
    return t;
  }

  /** A worker took the job (BullMQ's 'active'). */
  started(jobId: string): void {
    const t = this.tracked.get(jobId);
    if (!t || t.info.state !== 'queued') return;
    t.info.state = 'running';
    t.info.startedAt = new Date().toISOString();
    t.info.progress = { ...t.info.progress, phase: 'scan' };
    this.options.emit(t.info, false);
  }

  /** The job's worker stopped answering (BullMQ's 'stalled'): shown without a worker until one takes it over. */
  stalled(jobId: string): void {
    const t = this.tracked.get(jobId);
    if (t) this.options.emit({ ...t.info, worker: null }, false);
  }

  /** One of the feature shards of training job `parent` finished. */
  shardDone(parent: string): void {
    const t = this.tracked.get(parent);
    if (!t) return;
    t.shardsDone++;
    t.info.state = 'running';
    t.info.progress = t.clock.next(t.info.progress, {
      ...IDLE_PROGRESS,
      phase: 'features',
      epochs: t.info.request.epochs,
      done: t.shardsDone,
      total: t.shards,
    });
    this.options.emit(t.info, false);
  }

  /** A queued or running job ended: its JobInfo takes the ledger's worker and run, and the run's epochs. */
  finish(jobId: string, state: 'completed' | 'failed' | 'cancelled', error: { code: string; message: string } | null): void {
    const t = this.tracked.get(jobId);
    if (!t || !['queued', 'running'].includes(t.info.state)) return;
    const { info } = t;
    const job = this.options.store.getJob(jobId);
    info.state = state;
    info.error = error;
    info.worker = job?.worker ?? info.worker;
    info.runId = job?.runId ?? info.runId;
    if (info.runId !== null) info.epochs = this.options.store.getEpochs(info.runId);
    info.finishedAt = new Date().toISOString();
    if (state === 'completed') info.progress = { ...info.progress, phase: 'done', fraction: 1, etaSeconds: 0 };
    this.options.emit(info, true);
  }
}
