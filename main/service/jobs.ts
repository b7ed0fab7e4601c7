// The training queue: one job at a time, each in its own worker process, with progress, ETA and cancel.
import type { JobInfo, JobProgress, TrainRequest as ApiTrainRequest } from '../api/contract.js';
import { UnmaskError } from '../engine/errors.js';
import type { TrainRequest } from '../train/session.js';
import type { LaunchWorker, WorkerHandle } from '../worker/launch.js';
import type { PhaseProgress, StoreLocation, TrainWorkerMessage } from '../worker/protocol.js';

/** How long a cancelled worker gets to finish its batch and mark the run cancelled before it is killed. */
const CANCEL_GRACE_MS = 60_000;

const IDLE: JobProgress = {
  phase: 'queued', epoch: 0, epochs: 0, done: 0, total: 0, fraction: 0, etaSeconds: null, imgPerSec: null, runningLoss: null, runningAccuracy: null,
};

/**
 * Share of the whole job done, from the phase in progress: the feature pass (frozen backbones) counts as one
 * epoch's worth, each epoch splits train 80 % / val 10 % / test 10 %, and scoring is the last 2 %.
 */
export function jobFraction(p: PhaseProgress, frozen: boolean): number {
  const within = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const epochs = Math.max(1, p.epochs);
  const units = epochs + (frozen ? 1 : 0);
  const trainingShare = 0.98;
  const epochStart = (e: number) => ((frozen ? 1 : 0) + e - 1) / units;
  switch (p.phase) {
    case 'features':
      return (trainingShare * within) / units;
    case 'train':
      return trainingShare * (epochStart(p.epoch) + (0.8 * within) / units);
    case 'val':
      return trainingShare * (epochStart(p.epoch) + (0.8 + 0.1 * within) / units);
    case 'test':
      return trainingShare * (epochStart(p.epoch) + (0.9 + 0.1 * within) / units);
    case 'score':
      return trainingShare + (1 - trainingShare) * within;
    case 'done':
      return 1;
    default:
      return 0;
  }
}

interface Job {
  info: JobInfo;
  request: TrainRequest;
  worker: WorkerHandle | null;
  startedMs: number;
  /** fraction at the time the rate was first measurable, to leave start-up (scan, weights) out of the ETA. */
  rateFrom: { fraction: number; ms: number } | null;
  killTimer: NodeJS.Timeout | null;
  /** A feature pass was seen (frozen backbone): it counts in the job's fraction. */
  frozen: boolean;
}

export class JobQueue {
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  constructor(
    private readonly launch: LaunchWorker,
    private readonly store: StoreLocation,
    private readonly emit: (job: JobInfo, runsChanged: boolean) => void,
  ) {}

  /** Queues a checked request; `apiRequest` is what the user asked for, shown back in JobInfo. */
  add(request: TrainRequest, apiRequest: ApiTrainRequest): JobInfo {
    const id = this.nextId++;
    const info: JobInfo = {
      id, request: apiRequest, state: 'queued', runId: null, engine: null, progress: { ...IDLE, epochs: request.epochs }, epochs: [], error: null,
      queuedAt: new Date().toISOString(), startedAt: null, finishedAt: null,
    };
    this.jobs.set(id, { info, request, worker: null, startedMs: 0, rateFrom: null, killTimer: null, frozen: request.freezeBackbone === true });
    this.emit(info, false);
    this.pump();
    return info;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => j.info);
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
    worker.onExit((code, signal) => setTimeout(() => {
      if (next.info.state !== 'running') return;
      const how = signal ?? `exit code ${code}`;
      this.finish(next, next.killTimer ? 'cancelled' : 'failed', next.killTimer ? null : { code: 'INTERNAL', message: `the training process stopped unexpectedly (${how}); the run can be resumed` });
    }, 200));
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
        info.progress = this.progress(job, message.progress);
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

  private progress(job: Job, p: PhaseProgress): JobProgress {
    if (p.phase === 'features') job.frozen = true;
    const fraction = Math.max(job.info.progress.fraction, jobFraction(p, job.frozen));
    const now = Date.now();
    if (!job.rateFrom && fraction > 0) job.rateFrom = { fraction, ms: now };
    let etaSeconds: number | null = null;
    if (job.rateFrom && fraction > job.rateFrom.fraction + 0.005) {
      const perUnit = (now - job.rateFrom.ms) / 1000 / (fraction - job.rateFrom.fraction);
      etaSeconds = Math.max(0, perUnit * (1 - fraction));
    }
    return { ...p, fraction, etaSeconds };
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
