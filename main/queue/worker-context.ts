// What every job handler of a queue worker is given: its name, its shared roots, a scratch store per job.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnmaskError } from '../engine/errors.js';
import { checkTrainRequest, type TrainRequest } from '../train/request.js';
import type { ModelName } from '../models/registry.js';
import type { OptimizerName } from '../train/optimizers.js';
import type { ArtifactSync } from './artifact-store.js';
import { queuedFolder } from './requests.js';
import type { SharedRoot } from './roots.js';
import type { JobProgressEvent, TrainPayload } from './payloads.js';

export interface WorkerContext {
  /** `host:pid:engine`: stored on every job this worker processes (BullMQ's processedBy). */
  name: string;
  dataRoot: SharedRoot;
  artifacts: SharedRoot;
  /** With an S3 artifact root: `artifacts` is this machine's mirror of the bucket, synced at the points files cross. */
  sync?: ArtifactSync;
}

/** The part of a BullMQ job a handler uses. */
export interface JobHandle {
  id: string;
  data: unknown;
  updateProgress(progress: object): Promise<void>;
}

/**
 * Runs `fn` with the path of a fresh SQLite store in a temporary folder, removed afterwards: the job's local
 * record, from which its result is read. The coordinator's store is never opened by a worker.
 */
export async function withScratchStore<T>(fn: (dbPath: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-job-'));
  try {
    return await fn(path.join(dir, 'scratch.db'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A queued training request checked as the API checks it, its dataset resolved inside this worker's data root. */
export function checkedRequest(request: TrainPayload['request'], dataRoot: SharedRoot): TrainRequest {
  const folder = queuedFolder(request.dataset);
  const dataset = dataRoot.resolve(folder);
  if (!fs.existsSync(dataset)) throw new UnmaskError('NOT_FOUND', `no dataset '${folder}' under this worker's data root ${dataRoot.dir}`);
  return checkTrainRequest({ ...request, dataset, model: request.model as ModelName, optimizer: request.optimizer as OptimizerName });
}

/**
 * Progress updates of one job, sent in order and at most one 'progress' a second (epochs and the run's creation
 * always go). A failed update (Redis away, and the job's result will carry everything) is dropped. `first`, when
 * given, runs before the update goes (an epoch's checkpoints pushed to the bucket the coordinator pulls them
 * from); its failure does not hold the update back: the job's last push repeats it, and fails the job.
 */
export function progressSender(job: JobHandle): { send(update: JobProgressEvent, first?: () => Promise<void>): void; flush(): Promise<void> } {
  let chain = Promise.resolve();
  let last = 0;
  return {
    send(update, first) {
      const now = Date.now();
      if (update.type === 'progress' && now - last < 1000) return;
      if (update.type === 'progress') last = now;
      if (first) chain = chain.then(first).catch(() => undefined);
      chain = chain.then(() => job.updateProgress(update)).catch(() => undefined);
    },
    flush: () => chain,
  };
}
