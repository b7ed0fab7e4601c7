// The training queue: one job at a time, each in its own worker process, with progress, ETA and cancel.
import type { JobInfo, JobRequest } from '../api/contract.js';
import { UnmaskError } from '../engine/errors.js';
import type { TrainRequest } from '../train/request.js';
import type { LaunchWorker, WorkerHandle } from '../worker/launch.js';
import type { StoreLocation, TrainWorkerMessage } from '../worker/protocol.js';
import { IDLE_PROGRESS, ProgressClock } from './job-progress.js';

export { jobFraction } from './job-progress.js';

/** How long a cancelled worker gets to finish its batch and mark the run cancelled before it is killed. */
const CANCEL_GRACE_MS = 60_000;

/** 1, 2, 3, … */
export function counter(): () => number {
  let next = 1;
  return () => next++;
}

interface Job {
  info: JobInfo;
  request: TrainRequest;
  worker: WorkerHandle | null;
  startedMs: number;
  clock: ProgressClock;
  killTimer: NodeJS.Timeout | null;
}

export class JobQueue {
  private readonly jobs = new Map<number, Job>();

  constructor(
    private readonly launch: LaunchWorker,
    private readonly store: StoreLocation,
    private readonly emit: (job: JobInfo, runsChanged: boolean) => void,
    /** Job ids, shared with the queue's jobs when there is one. */
    private readonly nextId: () => number = counter(),
  ) {}

  /** Queues a checked request; `apiRequest` is what the user asked for, shown back in JobInfo. */
  add(request: TrainRequest, apiRequest: JobRequest, sweep: string | null = null): JobInfo {
    const id = this.nextId();
    const info: JobInfo = {
      id,
      request: apiRequest,
      sweep,
      queueJobId: null,
      worker: null,
      state: 'queued',
      runId: null,
      engine: null,
      progress: { ...IDLE_PROGRESS, epochs: request.epochs },
      epochs: [],
      error: null,
      queuedAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    this.jobs.set(id, { info, request, worker: null, startedMs: 0, clock: new ProgressClock(request.freezeBackbone === true), killTimer: null });
    this.emit(info, false);
    this.pump();
    return info;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => j.info);
  }

  has(id: number): boolean {
    return this.jobs.has(id);
  }

  /** Cancels a queued job at once, or asks a running one to stop after its current batch. */
  cancel(id: number): JobInfo {
    const job = this.jobs.get(id);
    if (!job) throw new UnmaskError('NOT_FOUND', `no job ${id}`);
    const { info } = job;
    if (info.state === 'queued') {
      this.finish(job, 'cancelled', null);
    } else if (info.state === 'running' && job.worker && !job.killTimer) {
      job.worker.send({ type: 'cancel' });
      const worker = job.worker;
      job.killTimer = setTimeout(() => worker.kill(), CANCEL_GRACE_MS);
    }
    return info;
  }

  /** Stops every worker (app quit): their runs are left 'running' and show as interrupted, resumable, next time. */
  close(): void {
    for (const job of this.jobs.values()) job.worker?.kill();
  }

  private running(): Job | undefined {
    return [...this.jobs.values()].find((j) => j.info.state === 'running');
  }

  private pump(): void {
    if (this.running()) return;
    const next = [...this.jobs.values()].find((j) => j.info.state === 'queued');
    if (!next) return;
    const worker = this.launch('train');
    next.worker = worker;
    next.startedMs = Date.now();
    next.info.state = 'running';
    next.info.startedAt = new Date().toISOString();
    next.info.progress = { ...next.info.progress, phase: 'scan' };
    worker.onMessage((m) => this.onMessage(next, m as TrainWorkerMessage));
    // Messages sent just before exiting can arrive after the exit event: let them land first.
    worker.onExit((code, signal) =>
      setTimeout(() => {
        if (next.info.state !== 'running') return;
        const how = signal ?? `exit code ${code}`;
        this.finish(
          next,
          next.killTimer ? 'cancelled' : 'failed',
          next.killTimer ? null : { code: 'INTERNAL', message: `the training process stopped unexpectedly (${how}); the run can be resumed` },
        );
      }, 200),
    );
    worker.send({ type: 'start', request: next.request, store: this.store });
    this.emit(next.info, false);
  }

  private onMessage(job: Job, message: TrainWorkerMessage): void {
    const { info } = job;
    if (info.state !== 'running') return;
    switch (message.type) {
      case 'run':
        info.runId = message.runId;
        info.engine = message.engine;
        return this.emit(info, true);
      case 'progress':
        info.progress = job.clock.next(info.progress, message.progress);
        return this.emit(info, false);
      case 'epoch':
        info.epochs = [...info.epochs.filter((e) => e.epoch !== message.epoch.epoch), message.epoch];
        return this.emit(info, true);
      case 'done':
        return this.finish(job, 'completed', null);
      case 'error':
        return this.finish(job, message.error.code === 'CANCELLED' ? 'cancelled' : 'failed', message.error.code === 'CANCELLED' ? null : message.error);
    }
  }

  private finish(job: Job, state: 'completed' | 'failed' | 'cancelled', error: JobInfo['error']): void {
    if (job.killTimer) clearTimeout(job.killTimer);
    job.killTimer = null;
    job.worker = null;
    const { info } = job;
    info.state = state;
    info.error = error;
    info.finishedAt = new Date().toISOString();
    if (state === 'completed') info.progress = { ...info.progress, phase: 'done', fraction: 1, etaSeconds: 0 };
    this.emit(info, info.runId != null);
    this.pump();
  }
}
