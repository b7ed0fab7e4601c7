// `unmask worker`: a BullMQ worker that takes training, evaluation and feature-shard jobs from the queue.
import { Relay, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { toErrorPayload } from '../api/errors.js';
import type { QueueAddress } from './connection.js';
import { connectionOptions } from './connection.js';
import { evaluateJob, featuresJob } from './evaluate-job.js';
import { CANCEL_TOPIC, failureReason, QUEUE_NAME } from './names.js';
import { isJobKind, type QueueJobKind } from './payloads.js';
import type { ArtifactSync } from './artifact-store.js';
import type { SharedRoot } from './roots.js';
import { trainJob } from './train-job.js';
import type { JobHandle, WorkerContext } from './worker-context.js';

export interface QueueWorkerOptions {
  address: QueueAddress;
  name: string;
  /** Jobs run at once, each in its own process. */
  concurrency: number;
  dataRoot: SharedRoot;
  artifacts: SharedRoot;
  sync?: ArtifactSync;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it): a worker that dies has its jobs
   * taken over after about this long. Also the period of the stalled-job check.
   */
  lockMs: number;
  log: (line: string) => void;
}

const HANDLERS: Record<QueueJobKind, (job: JobHandle, ctx: WorkerContext, signal: AbortSignal) => Promise<unknown>> = {
  train: trainJob,
  evaluate: evaluateJob,
  features: featuresJob,
};

/** Times a job may be taken over from a dead worker before it fails for good. */
const MAX_STALLED = 3;

export interface QueueWorker {
  close(): Promise<void>;
}

/**
 * BullMQ's processor for this worker: runs each job with its kind's handler, keeping the work in `running` until it
 * settles (so that close() can wait for it), and says how each job went. Apart from startQueueWorker, which sets up
 * the connections.
 */
function jobProcessor(options: QueueWorkerOptions, ctx: WorkerContext, running: Set<Promise<unknown>>) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    const kind = job.name;
    if (!isJobKind(kind)) throw new UnrecoverableError(failureReason({ code: 'BAD_ARGUMENT', message: `unknown job kind '${kind}'` }));
    options.log(`job ${job.id} (${kind}) started${job.stalledCounter > 0 ? `, taken over after ${job.stalledCounter} stall(s)` : ''}`);
    const handle: JobHandle = { id: job.id!, data: job.data, updateProgress: (p) => job.updateProgress(p) };
    const work = HANDLERS[kind](handle, ctx, signal ?? new AbortController().signal);
    running.add(work);
    try {
      const result = await work;
      options.log(`job ${job.id} (${kind}) completed`);
      return result;
    } catch (error) {
      if (signal?.reason === 'leave') {
        // This worker is stopping: the job goes back to the queue at once, for another worker to continue.
        await job.moveToWait(token);
        options.log(`job ${job.id} (${kind}) handed back to the queue`);
        throw new WaitingError();
      }
      const payload = toErrorPayload(error);
      options.log(`job ${job.id} (${kind}) ${payload.code === 'CANCELLED' ? 'cancelled' : 'failed'}: ${payload.message}`);
      throw new UnrecoverableError(failureReason(payload));
    } finally {
      running.delete(work);
    }
  };
}

/**
 * Starts taking jobs. A job of an unknown kind, a payload that fails its schema, a path outside the roots, or
 * any error fails the job for good (no retry: it would fail again); a worker that dies leaves its job to be
 * taken over by BullMQ's stalled-job check, and the training handler then resumes from the job's journal. A
 * job whose lock this worker loses (it was too slow to renew, and someone may have taken it over) is stopped at
 * once, so a job never runs twice at the same time.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const ctx: WorkerContext = { name: options.name, dataRoot: options.dataRoot, artifacts: options.artifacts, ...(options.sync ? { sync: options.sync } : {}) };
  const running = new Set<Promise<unknown>>();
  const processor = jobProcessor(options, ctx, running);
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(options.address, true),
    name: options.name,
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.lockMs,
    maxStalledCount: MAX_STALLED,
    autorun: false,
  });
  worker.on('lockRenewalFailed', (ids) => ids.forEach((id) => worker.cancelJob(id, 'lost')));
  let lastError = '';
  worker.on('error', (error) => {
    // Redis going away repeats the same error every reconnect attempt: say it once.
    if (error.message !== lastError) options.log(`queue: ${error.message}`);
    lastError = error.message;
  });
  worker.on('ready', () => {
    if (lastError) options.log('queue: connected again');
    lastError = '';
  });
  const relay = new Relay({ connection: connectionOptions(options.address, true), name: options.name });
  relay.on('error', () => undefined); // reported by the worker's own connection
  await relay.subscribe<{ jobId: string }>(CANCEL_TOPIC, (message) => {
    if (typeof message.data?.jobId === 'string') worker.cancelJob(message.data.jobId, 'cancel');
  });
  void worker.run();
  await worker.waitUntilReady();
  return {
    async close() {
      // Running jobs are stopped and handed back: another worker continues them from their journals.
      worker.cancelAllJobs('leave');
      await Promise.allSettled([...running]);
      await relay.close();
      await worker.close(true);
      options.sync?.close();
    },
  };
}
